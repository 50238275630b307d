import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { SourceError } from "../../src/sources/errors.js";
import {
  checkHostSyntax,
  isForbiddenAddress,
  type Resolver,
  resolveHost,
  systemResolver,
} from "../../src/sources/host-guard.js";

function refusedWith(code: string, fragment?: RegExp) {
  return (error: unknown) => {
    assert.ok(error instanceof SourceError, String(error));
    assert.equal(error.code, code);
    if (fragment) assert.match(error.message, fragment);
    return true;
  };
}

describe("host guard: syntax", () => {
  test("accepts bare names and public addresses, normalised", () => {
    assert.equal(
      checkHostSyntax(" FTP.Empresa.com.br ", { allowPrivate: false }),
      "ftp.empresa.com.br",
    );
    assert.equal(checkHostSyntax("203.0.113.10", { allowPrivate: false }), "203.0.113.10");
    assert.equal(checkHostSyntax("[2001:db8::10]", { allowPrivate: false }), "2001:db8::10");
    assert.equal(
      checkHostSyntax("sftp-01.cliente.com", { allowPrivate: false }),
      "sftp-01.cliente.com",
    );
  });

  for (const [host, fragment] of [
    ["https://ftp.empresa.com.br", /sem o protocolo/],
    ["ftp://ftp.empresa.com.br", /sem o protocolo/],
    ["ftp.empresa.com.br/mailings", /sem pasta/],
    ["joao:senha@ftp.empresa.com.br", /usuário ou senha/],
    ["joao@ftp.empresa.com.br", /usuário ou senha/],
    ["ftp.empresa.com.br:21", /porta/],
    ["ftp empresa.com", /espaços/],
    ["", /informe/],
    ["ftp_empresa!.com", /letras/],
    ["fe80::1%eth0", /zona/],
  ] as const) {
    test(`refuses "${host}" with a pt-BR explanation`, () => {
      assert.throws(
        () => checkHostSyntax(host, { allowPrivate: true }),
        refusedWith("HOST_INVALIDO", fragment),
      );
    });
  }

  for (const trick of [
    "2130706433",
    "0x7f000001",
    "0177.0.0.1",
    "127.1",
    "0x7f.0.0.1",
    "10.1",
    "017700000001",
  ]) {
    test(`refuses the numeric IP trick ${trick} even with allowPrivate`, () => {
      assert.throws(
        () => checkHostSyntax(trick, { allowPrivate: true }),
        refusedWith("HOST_INVALIDO", /203\.0\.113\.10/),
      );
    });
  }

  for (const address of [
    "127.0.0.1",
    "127.255.0.1",
    "10.0.0.1",
    "172.16.0.1",
    "172.31.255.254",
    "192.168.1.1",
    "169.254.169.254",
    "0.0.0.0",
    "100.64.0.1",
    "::1",
    "::",
    "fc00::1",
    "fd12:3456::1",
    "fe80::1",
    "::ffff:10.0.0.1",
    "::ffff:127.0.0.1",
    "::ffff:7f00:1",
    "[::1]",
    "localhost",
    "db.localhost",
  ]) {
    test(`refuses the internal address ${address} unless allowPrivate`, () => {
      assert.throws(
        () => checkHostSyntax(address, { allowPrivate: false }),
        refusedWith("HOST_PROIBIDO", /--allow-private/),
      );
      assert.doesNotThrow(() => checkHostSyntax(address, { allowPrivate: true }));
    });
  }

  test("public neighbours of private ranges are allowed", () => {
    for (const address of [
      "172.15.255.255",
      "172.32.0.1",
      "11.0.0.1",
      "192.169.0.1",
      "100.128.0.1",
      "2001:db8::1",
      "::ffff:8.8.8.8",
    ]) {
      assert.equal(isForbiddenAddress(address), false, address);
    }
  });
});

describe("host guard: after DNS resolution", () => {
  const fixed =
    (...addresses: string[]): Resolver =>
    async () =>
      addresses.map((address) => ({ address, family: address.includes(":") ? 6 : 4 }) as const);

  test("a public name resolving to a private address is refused, naming the address", async () => {
    await assert.rejects(
      resolveHost("ftp.cliente.com.br", { allowPrivate: false, resolver: fixed("10.0.0.1") }),
      refusedWith("HOST_PROIBIDO", /10\.0\.0\.1/),
    );
  });

  test("one private address among public ones refuses the name (DNS rebinding)", async () => {
    await assert.rejects(
      resolveHost("ftp.cliente.com.br", {
        allowPrivate: false,
        resolver: fixed("203.0.113.5", "::ffff:192.168.0.2"),
      }),
      refusedWith("HOST_PROIBIDO"),
    );
  });

  test("connects to the checked address and keeps the name for TLS", async () => {
    assert.deepEqual(
      await resolveHost("ftp.cliente.com.br", {
        allowPrivate: false,
        resolver: fixed("203.0.113.5"),
      }),
      { address: "203.0.113.5", family: 4, servername: "ftp.cliente.com.br" },
    );
  });

  test("the name is resolved exactly once", async () => {
    let calls = 0;
    const counting: Resolver = async () => {
      calls++;
      return [{ address: "203.0.113.5", family: 4 }];
    };
    await resolveHost("ftp.cliente.com.br", { allowPrivate: false, resolver: counting });
    assert.equal(calls, 1);
  });

  test("the system resolver: a name whose DNS answer is loopback is refused", async () => {
    // The system resolver answers "localhost" from /etc/hosts (no network);
    // the name the guard sees is an ordinary public-looking one.
    const viaSystem: Resolver = () => systemResolver("localhost");
    await assert.rejects(
      resolveHost("ftp.cliente.com.br", { allowPrivate: false, resolver: viaSystem }),
      refusedWith("HOST_PROIBIDO", /ftp\.cliente\.com\.br \((127\.0\.0\.1|::1)\)/),
    );
    const allowed = await resolveHost("ftp.cliente.com.br", {
      allowPrivate: true,
      resolver: viaSystem,
    });
    assert.ok(["127.0.0.1", "::1"].includes(allowed.address), allowed.address);
  });

  test("localhost and localhost. are refused before any lookup", () => {
    for (const host of ["localhost", "localhost.", "LOCALHOST"]) {
      assert.throws(
        () => checkHostSyntax(host, { allowPrivate: false }),
        refusedWith("HOST_PROIBIDO"),
      );
    }
  });

  test("a name that does not resolve is HOST_NAO_ENCONTRADO", async () => {
    const nothing: Resolver = async () => {
      throw Object.assign(new Error("getaddrinfo ENOTFOUND"), { code: "ENOTFOUND" });
    };
    await assert.rejects(
      resolveHost("ftp.nao-existe.com.br", { allowPrivate: false, resolver: nothing }),
      refusedWith("HOST_NAO_ENCONTRADO", /confira se o nome/),
    );
  });

  test("IP literals are not resolved", async () => {
    const never: Resolver = async () => assert.fail("resolver called for an IP literal");
    assert.equal(
      (await resolveHost("203.0.113.9", { allowPrivate: false, resolver: never })).address,
      "203.0.113.9",
    );
  });
});
