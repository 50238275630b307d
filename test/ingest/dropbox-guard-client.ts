/**
 * A raw FTP control-connection client (node:net + node:tls) for probing the
 * drop box the way an attacker would: many sockets, chosen source addresses
 * (any 127.x.y.z on Linux loopback), login attempts one by one, replies read
 * as they come. Used by the guard tests and bench:dropbox.
 */
import { connect as netConnect, type Socket } from "node:net";
import { type TLSSocket, connect as tlsConnect } from "node:tls";

export class FtpProbe {
  private socket: Socket | TLSSocket;
  private buffer = "";
  private readonly lines: string[] = [];
  private waiter: (() => void) | null = null;
  /** How long `send` waits for the reply. */
  replyTimeoutMs = 20_000;
  private ended = false;
  private userSent = false;
  /** Resolves when the server closed the connection (or it failed). */
  readonly closed: Promise<void>;
  private markClosed!: () => void;

  private constructor(socket: Socket) {
    this.socket = socket;
    this.closed = new Promise((ok) => {
      this.markClosed = ok;
    });
    this.listen(socket);
    socket.once("close", () => {
      this.ended = true;
      this.markClosed();
      this.wake();
    });
  }

  /** Connects and returns once the socket is open (read the greeting with `reply()`). */
  static open(port: number, localAddress = "127.0.0.1"): Promise<FtpProbe> {
    return new Promise((ok, fail) => {
      const socket = netConnect({ port, host: "127.0.0.1", localAddress });
      socket.once("error", fail);
      socket.once("connect", () => {
        socket.removeListener("error", fail);
        socket.on("error", () => {});
        ok(new FtpProbe(socket));
      });
    });
  }

  get isClosed(): boolean {
    return this.ended;
  }

  /** The next complete reply (its final line, e.g. "530 Usuário ou senha incorretos."), or null once closed. */
  async reply(timeoutMs = 20_000): Promise<string | null> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      while (this.lines.length > 0) {
        const line = this.lines.shift() as string;
        if (/^\d{3} /.test(line)) return line;
      }
      if (this.ended) return null;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error("no FTP reply in time");
      await new Promise<void>((ok) => {
        const timer = setTimeout(ok, left);
        this.waiter = () => {
          clearTimeout(timer);
          ok();
        };
      });
      this.waiter = null;
    }
  }

  async send(line: string): Promise<string | null> {
    if (this.ended || !this.socket.writable) return null;
    this.socket.write(`${line}\r\n`);
    return this.reply(this.replyTimeoutMs);
  }

  /** Writes bytes as they are, without waiting for any reply. */
  sendRaw(text: string): void {
    if (!this.ended && this.socket.writable) this.socket.write(text);
  }

  /** AUTH TLS and the TLS handshake over the control connection. */
  async secure(): Promise<void> {
    const answer = await this.send("AUTH TLS");
    if (!answer?.startsWith("234")) throw new Error(`AUTH TLS refused: ${answer}`);
    const plain = this.socket as Socket;
    plain.removeAllListeners("data");
    const secure = tlsConnect({ socket: plain, rejectUnauthorized: false });
    await new Promise<void>((ok, fail) => {
      secure.once("secureConnect", () => ok());
      secure.once("error", fail);
    });
    secure.on("error", () => {});
    this.socket = secure;
    this.listen(secure);
  }

  /**
   * USER then PASS; the reply to PASS (or to USER when it was not 331). The
   * server keeps the user after a refused PASS, so later tries send PASS only.
   */
  async login(user: string, password: string): Promise<string | null> {
    if (!this.userSent) {
      const answer = await this.send(`USER ${user}`);
      if (!answer?.startsWith("331")) return answer;
      this.userSent = true;
    }
    return this.send(`PASS ${password}`);
  }

  destroy(): void {
    this.socket.destroy();
  }

  private listen(socket: Socket | TLSSocket): void {
    socket.on("data", (data: Buffer) => {
      this.buffer += data.toString("utf8");
      const parts = this.buffer.split("\r\n");
      this.buffer = parts.pop() ?? "";
      this.lines.push(...parts);
      this.wake();
    });
  }

  private wake(): void {
    this.waiter?.();
  }
}
