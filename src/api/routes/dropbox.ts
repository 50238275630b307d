/**
 * The embedded FTPS drop box, as an operator configures FileZilla for it:
 * address, port, user and the certificate's fingerprint to trust. Never the
 * password (only its hash is kept). The box is the default tenant's: any other
 * tenant, or a serve without the box, gets 404.
 */
import { z } from "zod";
import { DEFAULT_TENANT_ID } from "../../store/tenants.js";
import type { ApiDeps } from "../app.js";
import { ApiError } from "../errors.js";
import { type AnyRoute, route } from "../route.js";

export interface DropBoxInfo {
  host: string;
  port: number;
  user: string;
  /** SHA-256 of the TLS certificate, AB:CD:… */
  fingerprint: string;
}

export function dropBoxRoutes(_deps: ApiDeps, info: () => DropBoxInfo | null): AnyRoute[] {
  return [
    route({
      method: "GET",
      url: "/dropbox",
      summary: "A caixa FTPS embutida: endereço, usuário e certificado",
      description:
        "Para configurar um cliente FTP (FileZilla: protocolo FTP com TLS explícito obrigatório). A senha nunca é devolvida. 404 quando o serve roda sem a caixa ou a chave é de outra empresa.",
      tag: "origens",
      access: "tenant",
      response: z.object({
        host: z.string(),
        port: z.number().int(),
        user: z.string(),
        fingerprint: z
          .string()
          .describe("SHA-256 do certificado TLS, para conferir na primeira conexão"),
        protocol: z.literal("ftps-explicit"),
      }),
      errors: [404],
      handler: ({ tenantId }) => {
        const box = info();
        if (box === null || tenantId !== DEFAULT_TENANT_ID) {
          throw new ApiError(
            "NAO_ENCONTRADO",
            "A caixa FTPS embutida não está ligada neste servidor.",
          );
        }
        return { ...box, protocol: "ftps-explicit" as const };
      },
    }),
  ];
}
