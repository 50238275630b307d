/**
 * A real SMTP server for the tests (smtp-server, port 0): optional AUTH,
 * STARTTLS or implicit TLS with a self-signed certificate made here with the
 * openssl CLI, and a script deciding each message's reply (accept, a 4xx or
 * 5xx, or dropping every connection while the message is being sent). What
 * it accepted is kept raw and parsed (mailparser), with the session's TLS and
 * login, so tests assert what a real receiver got.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import type { Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type ParsedMail, simpleParser } from "mailparser";
import { SMTPServer } from "smtp-server";

export interface SelfSigned {
  key: string;
  cert: string;
}

/** A self-signed certificate for localhost / 127.0.0.1, valid for a day. */
export function selfSignedCert(): SelfSigned {
  const dir = mkdtempSync(join(tmpdir(), "remessa-cert-"));
  try {
    execFileSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        join(dir, "key.pem"),
        "-out",
        join(dir, "cert.pem"),
        "-days",
        "1",
        "-subj",
        "/CN=localhost",
        "-addext",
        "subjectAltName=DNS:localhost,IP:127.0.0.1",
      ],
      { stdio: "ignore" },
    );
    return {
      key: readFileSync(join(dir, "key.pem"), "utf8"),
      cert: readFileSync(join(dir, "cert.pem"), "utf8"),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface ReceivedMail {
  from: string;
  to: string[];
  raw: string;
  parsed: ParsedMail;
  /** Message-ID without angle brackets. */
  messageId: string;
  /** Sent over TLS (STARTTLS or implicit). */
  secure: boolean;
  user: string | null;
}

/** The reply to one message: accept, refuse with this code, or drop every connection. */
export type PeerDecision = null | { code: number; text: string } | "drop";

export interface PeerOptions {
  auth?: { user: string; pass: string };
  /** Offers STARTTLS with this certificate (or, with `secure`, TLS from the first byte). */
  tls?: SelfSigned;
  secure?: boolean;
  /** Called for every message that reached the end of DATA; `attempt` counts per recipient list. */
  decide?: (
    mail: { to: string[]; messageId: string; index: number },
    attempt: number,
  ) => PeerDecision;
  /** Benchmarks: accept without parsing or keeping anything (only `accepted` counts). */
  light?: boolean;
}

export interface SmtpPeer {
  host: string;
  port: number;
  received: ReceivedMail[];
  /** Logins refused. */
  authFailures: number;
  /** Messages whose DATA the server got, accepted or not (re-sends counted). */
  attempts: number;
  /** Messages accepted (also in light mode). */
  accepted: number;
  close(): Promise<void>;
}

export async function startSmtpPeer(options: PeerOptions = {}): Promise<SmtpPeer> {
  const received: ReceivedMail[] = [];
  const tries = new Map<string, number>();
  const sockets = new Set<Socket>();
  const state = { authFailures: 0, attempts: 0, accepted: 0 };
  const server = new SMTPServer({
    secure: options.secure ?? false,
    ...(options.tls ? { key: options.tls.key, cert: options.tls.cert } : {}),
    hideSTARTTLS: !options.tls || options.secure === true,
    authOptional: !options.auth,
    ...(options.auth ? {} : { disabledCommands: ["AUTH"] }),
    allowInsecureAuth: !options.tls,
    logger: false,
    onAuth(auth, _session, callback) {
      if (auth.username === options.auth?.user && auth.password === options.auth?.pass) {
        callback(null, { user: auth.username });
        return;
      }
      state.authFailures++;
      callback(new Error("Usuário ou senha inválidos"));
    },
    onData(stream, session, callback) {
      if (options.light) {
        stream.on("data", () => {});
        stream.on("end", () => {
          state.attempts++;
          state.accepted++;
          callback(null, "Ok");
        });
        return;
      }
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("end", () => {
        void (async () => {
          const raw = Buffer.concat(chunks).toString("utf8");
          const parsed = await simpleParser(raw);
          const messageId = (parsed.messageId ?? "").replace(/^<|>$/g, "");
          const to = session.envelope.rcptTo.map((r) => r.address);
          const attempt = (tries.get(to.join(",")) ?? 0) + 1;
          tries.set(to.join(","), attempt);
          state.attempts++;
          const decision =
            options.decide?.({ to, messageId, index: state.attempts - 1 }, attempt) ?? null;
          if (decision === "drop") {
            // The server goes away mid-transaction: no reply, every socket cut.
            for (const s of sockets) s.destroy();
            return;
          }
          if (decision) {
            const error = new Error(decision.text) as Error & { responseCode: number };
            error.responseCode = decision.code;
            callback(error);
            return;
          }
          state.accepted++;
          received.push({
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : "",
            to,
            raw,
            parsed,
            messageId,
            secure: session.secure,
            user: typeof session.user === "string" ? session.user : null,
          });
          callback(null, `Ok: queued as ${messageId}`);
        })();
      });
    },
  });
  server.server.on("connection", (socket: Socket) => {
    // Replies go out at once (as a real MTA's do), not held back by Nagle.
    socket.setNoDelay(true);
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  server.on("error", () => {
    // A client cut off mid-command (the drop tests) is not the test's failure.
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const address = server.server.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  return {
    host: "127.0.0.1",
    port: address.port,
    received,
    get authFailures() {
      return state.authFailures;
    },
    get attempts() {
      return state.attempts;
    },
    get accepted() {
      return state.accepted;
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A header's value as received (unfolded), or null; mailparser's own view reshapes List-* headers. */
export function header(mail: ReceivedMail, name: string): string | null {
  const line = mail.parsed.headerLines.find((h) => h.key === name)?.line;
  return line === undefined
    ? null
    : line
        .slice(line.indexOf(":") + 1)
        .replace(/\r?\n[ \t]+/g, " ")
        .trim();
}
