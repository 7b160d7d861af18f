import * as http from "http";
import { AddressInfo, Socket } from "net";

/** A started loopback server: its URL, and a close that does not wait for idle keep-alive sockets. */
export interface Loopback {
    readonly url: string;
    close(): Promise<void>;
}

/**
 * Listens on 127.0.0.1 on a free port. `close` destroys the open connections first (a client's
 * keep-alive socket would otherwise hold `server.close` open until it times out).
 */
export async function listenOnLoopback(server: http.Server): Promise<Loopback> {
    const sockets = new Set<Socket>();
    server.on("connection", (socket: Socket) => {
        sockets.add(socket);
        socket.on("close", () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    return {
        url: `http://127.0.0.1:${port}`,
        close: () =>
            new Promise<void>((resolve) => {
                for (const socket of sockets) socket.destroy();
                server.close(() => resolve());
            }),
    };
}
