// @vitest-environment jsdom
import { cleanup, fireEvent, render, screen } from "@testing-library/react";
import { afterEach, describe, expect, test, vi } from "vitest";
import { SignIn } from "./SignIn";

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

function answer(status: number, body: unknown) {
  return vi.fn(
    async () =>
      new Response(JSON.stringify(body), {
        status,
        headers: { "content-type": "application/json" },
      }),
  );
}

describe("sign-in", () => {
  test("a refused key says what to check and is not kept", async () => {
    const fetchMock = answer(401, {
      code: "CHAVE_INVALIDA",
      message: "Chave inválida.",
      details: null,
    });
    vi.stubGlobal("fetch", fetchMock);
    const signedIn = vi.fn();
    render(<SignIn onSignedIn={signedIn} />);
    fireEvent.change(screen.getByLabelText(/Chave de API/), { target: { value: " rms_errada " } });
    fireEvent.click(screen.getByRole("button", { name: "Entrar" }));
    expect(await screen.findByRole("alert")).toHaveProperty(
      "textContent",
      expect.stringMatching(/revogada/),
    );
    expect(signedIn).not.toHaveBeenCalled();
    const [url, init] = fetchMock.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe("/wallets");
    expect((init.headers as Record<string, string>).authorization).toBe("Bearer rms_errada");
  });
  test("an accepted key signs in with the key as typed, trimmed", async () => {
    vi.stubGlobal("fetch", answer(200, { items: [] }));
    const signedIn = vi.fn();
    render(<SignIn onSignedIn={signedIn} />);
    fireEvent.change(screen.getByLabelText(/Chave de API/), { target: { value: "rms_boa\n" } });
    fireEvent.click(screen.getByRole("button", { name: "Entrar" }));
    await vi.waitFor(() => expect(signedIn).toHaveBeenCalledWith("rms_boa"));
  });
  test("an empty key is refused before any request", () => {
    const fetchMock = answer(200, {});
    vi.stubGlobal("fetch", fetchMock);
    render(<SignIn onSignedIn={vi.fn()} />);
    fireEvent.click(screen.getByRole("button", { name: "Entrar" }));
    expect(screen.getByRole("alert").textContent).toMatch(/rms_/);
    expect(fetchMock).not.toHaveBeenCalled();
  });
});
