/**
 * A minimal explicit-FTPS client over raw sockets, for the attacks and
 * failures no real client makes on purpose: a data connection cut without
 * TLS close_notify, a reset mid-upload, commands sent before AUTH TLS, names
 * with line breaks or quotes. Each reply is read whole (multi-line included).
 */
import { connect as netConnect, type Socket } from "node:net";
import { type TLSSocket, connect as tlsConnect } from "node:tls";

export interface FtpReply {
  code: number;
  text: string;
}

export class RawFtps {
  private socket: Socket | TLSSocket;
  private buffer = "";
  private waiting: (() => void) | null = null;
  private closed = false;

  private constructor(
    private readonly port: number,
    socket: Socket,
  ) {
    this.socket = socket;
    this.listen(socket);
  }

  static async open(port: number): Promise<{ client: RawFtps; greeting: FtpReply }> {
    const socket = netConnect(port, "127.0.0.1");
    await new Promise<void>((ok, fail) => {
      socket.once("connect", ok);
      socket.once("error", fail);
    });
    const client = new RawFtps(port, socket);
    return { client, greeting: await client.read() };
  }

  private listen(socket: Socket | TLSSocket) {
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => {
      this.buffer += chunk;
      this.waiting?.();
    });
    socket.on("close", () => {
      this.closed = true;
      this.waiting?.();
    });
    socket.on("error", () => {});
  }

  /** The next whole reply; rejects if the server closes first. */
  async read(timeoutMs = 15_000): Promise<FtpReply> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const reply = this.take();
      if (reply) return reply;
      if (this.closed) throw new Error(`connection closed; unread: ${JSON.stringify(this.buffer)}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no reply in ${timeoutMs} ms: ${JSON.stringify(this.buffer)}`);
      await new Promise<void>((ok) => {
        const timer = setTimeout(ok, left);
        this.waiting = () => {
          clearTimeout(timer);
          this.waiting = null;
          ok();
        };
      });
    }
  }

  private take(): FtpReply | null {
    const lines = this.buffer.split("\r\n");
    const first = lines[0] ?? "";
    const code = /^(\d{3})([ -])/.exec(first);
    if (!code) return null;
    for (let i = 0; i < lines.length - 1; i++) {
      const line = lines[i] as string;
      if (line.startsWith(`${code[1]} `) && (i > 0 || code[2] === " ")) {
        const text = lines.slice(0, i + 1).join("\n");
        this.buffer = lines.slice(i + 1).join("\r\n");
        return { code: Number(code[1]), text };
      }
    }
    return null;
  }

  /** Sends one command line (the text may itself hold a bare \n) and reads its reply. */
  async send(line: string): Promise<FtpReply> {
    this.socket.write(`${line}\r\n`);
    return this.read();
  }

  async authTls(): Promise<void> {
    const reply = await this.send("AUTH TLS");
    if (reply.code !== 234) throw new Error(`AUTH TLS: ${reply.text}`);
    const plain = this.socket as Socket;
    plain.removeAllListeners("data");
    plain.removeAllListeners("close");
    const secure = tlsConnect({ socket: plain, rejectUnauthorized: false });
    await new Promise<void>((ok, fail) => {
      secure.once("secureConnect", ok);
      secure.once("error", fail);
    });
    this.socket = secure;
    this.listen(secure);
  }

  async login(user: string, password: string): Promise<FtpReply> {
    await this.authTls();
    const userReply = await this.send(`USER ${user}`);
    if (userReply.code !== 331) return userReply;
    const pass = await this.send(`PASS ${password}`);
    await this.send("PBSZ 0");
    await this.send("PROT P");
    return pass;
  }

  /**
   * Opens a passive TLS data connection. The raw TCP socket is returned too,
   * so a test can end it (FIN) or reset it without a TLS close_notify.
   */
  async openData(): Promise<{ raw: Socket; secure: TLSSocket; ready: Promise<void> }> {
    const reply = await this.send("EPSV");
    const port = Number(/\(\|\|\|(\d+)\|\)/.exec(reply.text)?.[1]);
    if (!port) throw new Error(`EPSV: ${reply.text}`);
    const raw = netConnect(port, "127.0.0.1");
    await new Promise<void>((ok, fail) => {
      raw.once("connect", ok);
      raw.once("error", fail);
    });
    const secure = tlsConnect({ socket: raw, rejectUnauthorized: false });
    const ready = new Promise<void>((ok, fail) => {
      secure.once("secureConnect", ok);
      secure.once("error", fail);
    });
    ready.catch(() => {});
    raw.on("error", () => {});
    return { raw, secure, ready };
  }

  /**
   * STOR with `data`, ended as asked: "close_notify" (a complete upload),
   * "fin" (the TCP connection ends without close_notify after `cutAt` bytes)
   * or "reset" (the connection is reset after `cutAt` bytes). Returns the
   * reply to STOR (150 or a refusal) and the final one.
   */
  async store(
    name: string,
    data: Buffer,
    how: "close_notify" | "fin" | "reset" = "close_notify",
    cutAt = data.length,
  ): Promise<{ start: FtpReply; end: FtpReply | null }> {
    const { raw, secure, ready } = await this.openData();
    const start = await this.send(`STOR ${name}`);
    if (start.code !== 150) {
      raw.destroy();
      return { start, end: null };
    }
    await ready;
    const body = how === "close_notify" ? data : data.subarray(0, cutAt);
    await new Promise<void>((ok) => secure.write(body, () => ok()));
    if (how === "close_notify") secure.end();
    else if (how === "fin") {
      // Give TLS time to hand the records to TCP, then end TCP under it.
      await new Promise((ok) => setTimeout(ok, 100));
      raw.end();
    } else raw.resetAndDestroy();
    const end = await this.read(30_000);
    return { start, end };
  }

  close(): void {
    this.socket.destroy();
  }

  get serverPort(): number {
    return this.port;
  }
}
