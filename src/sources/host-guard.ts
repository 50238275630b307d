import { lookup } from "node:dns/promises";
import { BlockList, isIP, isIPv4, isIPv6 } from "node:net";
import { SourceError } from "./errors.js";

/**
 * Host guard (SPEC §2): a source's host is a bare DNS name or IP address, and
 * never one of the deployment's own networks. Without it, any tenant could
 * point remessa at an internal service (SSRF). The check runs twice:
 *  - on the configured text (`checkHostSyntax`), when a source is saved;
 *  - at connect time (`resolveHost`): the name is resolved once, every
 *    address checked, and the connection made to that checked address, so a
 *    DNS answer that changes between check and connect (rebinding) cannot
 *    slip a private address through. The name is kept for TLS SNI and
 *    certificate verification.
 * `allowPrivate` (tests, on-premises installs) turns the address checks off;
 * the syntax rules always apply.
 */

const forbidden = new BlockList();
for (const [net, prefix] of [
  ["0.0.0.0", 8], // "this network"; 0.0.0.0 reaches the local host on Linux
  ["10.0.0.0", 8],
  ["100.64.0.0", 10], // carrier-grade NAT
  ["127.0.0.0", 8],
  ["169.254.0.0", 16], // link-local, cloud metadata (169.254.169.254)
  ["172.16.0.0", 12],
  ["192.0.0.0", 24],
  ["192.168.0.0", 16],
  ["198.18.0.0", 15],
  ["224.0.0.0", 4], // multicast
  ["240.0.0.0", 4], // reserved and broadcast
] as const) {
  forbidden.addSubnet(net, prefix, "ipv4");
}
for (const [net, prefix] of [
  ["::", 128],
  ["::1", 128],
  ["fc00::", 7], // unique local
  ["fe80::", 10], // link-local
  ["fec0::", 10], // deprecated site-local
  ["ff00::", 8], // multicast
] as const) {
  forbidden.addSubnet(net, prefix, "ipv6");
}

/** The IPv4 address embedded in an IPv6 one (mapped ::ffff:a.b.c.d, compatible, NAT64), if any. */
function embeddedIPv4(address: string): string | null {
  const lower = address.toLowerCase();
  const dotted = /^(?:::ffff:|::|64:ff9b::)(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
  if (dotted?.[1] && isIPv4(dotted[1])) return dotted[1];
  const hex = /^(?:::ffff:|64:ff9b::)([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(lower);
  if (hex?.[1] && hex[2]) {
    const high = Number.parseInt(hex[1], 16);
    const low = Number.parseInt(hex[2], 16);
    return `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`;
  }
  return null;
}

/** True for loopback, private, link-local, unspecified and other non-public addresses. */
export function isForbiddenAddress(address: string): boolean {
  const bare = address.replace(/^\[|\]$/g, "");
  if (isIPv4(bare)) return forbidden.check(bare, "ipv4");
  if (isIPv6(bare)) {
    const v4 = embeddedIPv4(bare);
    if (v4 !== null) return forbidden.check(v4, "ipv4");
    return forbidden.check(bare, "ipv6");
  }
  return true;
}

const label = /^(?!-)[a-z0-9_-]{1,63}(?<!-)$/i;
const numericLabel = /^(?:0x[0-9a-f]*|[0-9]+)$/i;

/**
 * Checks the configured host text and returns it normalised (trimmed,
 * lower-case, IPv6 brackets removed). Throws a SourceError with a pt-BR
 * message that says what to type instead.
 */
export function checkHostSyntax(input: string, options: { allowPrivate: boolean }): string {
  const host = input.trim();
  const refuse = (why: string): never => {
    throw new SourceError("HOST_INVALIDO", `Servidor "${input}" inválido: ${why}`);
  };
  if (host === "") refuse("informe o nome ou o IP do servidor, por exemplo ftp.empresa.com.br.");
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(host)) {
    refuse(
      "informe só o nome do servidor, sem o protocolo (ftp://, https://...); escolha o protocolo no campo próprio.",
    );
  }
  if (host.includes("@")) {
    refuse("não coloque usuário ou senha no servidor; use os campos de usuário e senha.");
  }
  if (host.includes("/") || host.includes("\\")) {
    refuse("informe só o nome do servidor, sem pasta; a pasta vai no campo de pasta raiz.");
  }
  if (/\s/.test(host)) refuse("o nome do servidor não pode ter espaços.");
  let bare = host.toLowerCase();
  if (bare.startsWith("[") && bare.endsWith("]")) bare = bare.slice(1, -1);
  else if (bare.startsWith("[") || bare.endsWith("]")) refuse("colchetes sem par.");
  if (bare.includes("%")) refuse("endereços IPv6 com zona (%) não são aceitos.");

  if (isIPv6(bare) || isIPv4(bare)) {
    if (!options.allowPrivate && isForbiddenAddress(bare)) throw forbiddenHost(input, bare);
    return bare;
  }
  if (bare.includes(":")) {
    refuse("não coloque a porta no servidor (ex.: ftp.empresa.com.br:21); use o campo de porta.");
  }
  const labels = bare.replace(/\.$/, "").split(".");
  // A name whose last label is a number is read as an IP address by the
  // resolver (2130706433, 0x7f000001, 0177.0.0.1, 127.1 all mean 127.0.0.1):
  // only the canonical dotted form is accepted, so the guard sees what the
  // connection will reach.
  if (numericLabel.test(labels[labels.length - 1] ?? "")) {
    refuse("endereço IP em formato não usual; escreva o IPv4 no formato 203.0.113.10.");
  }
  if (bare.length > 253 || !labels.every((part) => label.test(part))) {
    refuse("use só letras sem acento, números, hífens e pontos, como ftp.empresa.com.br.");
  }
  const name = bare.replace(/\.$/, "");
  if (!options.allowPrivate && (name === "localhost" || name.endsWith(".localhost"))) {
    throw forbiddenHost(input, "127.0.0.1");
  }
  return bare;
}

function forbiddenHost(host: string, address: string): SourceError {
  const shown = host === address ? host : `${host} (${address})`;
  return new SourceError(
    "HOST_PROIBIDO",
    `O servidor ${shown} é um endereço de rede interna (privado, loopback ou link-local), que o remessa não acessa por segurança: use o endereço público do servidor de arquivos ou, em instalação local, cadastre a origem com --allow-private.`,
  );
}

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Name resolution, injectable for tests. Must return every address of the name. */
export type Resolver = (host: string) => Promise<ResolvedAddress[]>;

export const systemResolver: Resolver = async (host) => {
  const answers = await lookup(host, { all: true, verbatim: true });
  return answers.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));
};

export interface ConnectTarget {
  /** The checked address to connect to (no second lookup). */
  address: string;
  family: 4 | 6;
  /** The configured name, for TLS SNI and certificate checks; null when the host is an IP. */
  servername: string | null;
}

/**
 * Resolves the host once, refuses it if ANY of its addresses is forbidden
 * (a name with one public and one private address is an attack, not a
 * fallback), and returns the address to connect to.
 */
export async function resolveHost(
  input: string,
  options: { allowPrivate: boolean; resolver?: Resolver },
): Promise<ConnectTarget> {
  const host = checkHostSyntax(input, options);
  const literal = isIP(host);
  if (literal !== 0) return { address: host, family: literal === 6 ? 6 : 4, servername: null };
  const resolver = options.resolver ?? systemResolver;
  let addresses: ResolvedAddress[];
  try {
    addresses = await resolver(host);
  } catch (error) {
    throw new SourceError(
      "HOST_NAO_ENCONTRADO",
      `O endereço "${host}" não foi encontrado no DNS: confira se o nome do servidor está escrito corretamente.`,
      { cause: error },
    );
  }
  const first = addresses[0];
  if (!first) {
    throw new SourceError(
      "HOST_NAO_ENCONTRADO",
      `O endereço "${host}" não tem nenhum IP no DNS: confira o nome do servidor.`,
    );
  }
  if (!options.allowPrivate) {
    const bad = addresses.find((a) => isForbiddenAddress(a.address));
    if (bad) throw forbiddenHost(host, bad.address);
  }
  return { address: first.address, family: first.family, servername: host };
}
