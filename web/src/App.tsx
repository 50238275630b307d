import { useMemo, useState } from "react";
import { createApi } from "./api";
import { ApiContext, useHashRoute } from "./hooks";
import { Arquivo, Arquivos } from "./pages/Arquivos";
import { Campanha, Campanhas } from "./pages/Campanhas";
import { Carteiras } from "./pages/Carteiras";
import { ConferirNome } from "./pages/ConferirNome";
import { Fontes } from "./pages/Fontes";
import { MontarNome } from "./pages/MontarNome";
import { Painel } from "./pages/Painel";
import { Pessoa, Pessoas } from "./pages/Pessoas";
import { Remetentes } from "./pages/Remetentes";
import { Restricoes } from "./pages/Restricoes";
import { SignIn } from "./pages/SignIn";

/** The key lives in this tab's session only: closing the tab or "Sair" forgets it. */
const KEY_ITEM = "remessa.apiKey";

const NAV: { path: string; label: string }[] = [
  { path: "painel", label: "Painel" },
  { path: "arquivos", label: "Arquivos" },
  { path: "campanhas", label: "Campanhas" },
  { path: "pessoas", label: "Pessoas" },
  { path: "montar-nome", label: "Montar nome" },
  { path: "conferir-nome", label: "Conferir nome" },
  { path: "carteiras", label: "Carteiras" },
  { path: "fontes", label: "FTP/SFTP" },
  { path: "remetentes", label: "Remetentes" },
  { path: "restricoes", label: "Restrições" },
];

export function App() {
  const [key, setKey] = useState<string | null>(() => sessionStorage.getItem(KEY_ITEM));
  const api = useMemo(() => (key ? createApi(key) : null), [key]);
  if (api === null) {
    return (
      <SignIn
        onSignedIn={(k) => {
          sessionStorage.setItem(KEY_ITEM, k);
          setKey(k);
        }}
      />
    );
  }
  return (
    <ApiContext.Provider value={api}>
      <Shell
        onSignOut={() => {
          sessionStorage.removeItem(KEY_ITEM);
          setKey(null);
          window.location.hash = "";
        }}
      />
    </ApiContext.Provider>
  );
}

function Shell({ onSignOut }: { onSignOut: () => void }) {
  const [page = "painel", id] = useHashRoute();
  return (
    <div className="shell">
      <a className="skip" href="#conteudo">
        Ir para o conteúdo
      </a>
      <nav className="nav" aria-label="Principal">
        <span className="brand">remessa</span>
        <ul>
          {NAV.map((item) => (
            <li key={item.path}>
              <a href={`#/${item.path}`} aria-current={page === item.path ? "page" : undefined}>
                {item.label}
              </a>
            </li>
          ))}
        </ul>
        <button type="button" className="link" onClick={onSignOut}>
          Sair
        </button>
      </nav>
      <main id="conteudo" tabIndex={-1}>
        <Route page={page} id={id} />
      </main>
    </div>
  );
}

function Route({ page, id }: { page: string; id: string | undefined }) {
  switch (page) {
    case "painel":
      return <Painel />;
    case "arquivos":
      return id ? <Arquivo id={id} /> : <Arquivos />;
    case "campanhas":
      return id ? <Campanha id={id} /> : <Campanhas />;
    case "pessoas":
      return id ? <Pessoa id={id} /> : <Pessoas />;
    case "montar-nome":
      return <MontarNome />;
    case "conferir-nome":
      return <ConferirNome />;
    case "carteiras":
      return <Carteiras />;
    case "fontes":
      return <Fontes />;
    case "remetentes":
      return <Remetentes />;
    case "restricoes":
      return <Restricoes />;
    default:
      return (
        <p>
          Página não encontrada. <a href="#/painel">Voltar ao painel</a>.
        </p>
      );
  }
}
