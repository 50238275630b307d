import { createContext, useCallback, useContext, useEffect, useRef, useState } from "react";
import { type Api, messageOf } from "./api";

/** The signed-in session: the API client for the key in use. */
export const ApiContext = createContext<Api | null>(null);

export function useApi(): Api {
  const api = useContext(ApiContext);
  if (api === null) throw new Error("useApi outside a signed-in session");
  return api;
}

function hashRoute(): string[] {
  return window.location.hash
    .replace(/^#\/?/, "")
    .split("?")[0]!
    .split("/")
    .filter((part) => part !== "")
    .map(decodeURIComponent);
}

/** The route is the URL's hash ("#/arquivos/12" → ["arquivos", "12"]), so reloads and links work. */
export function useHashRoute(): string[] {
  const [route, setRoute] = useState(hashRoute);
  useEffect(() => {
    const onChange = () => setRoute(hashRoute());
    window.addEventListener("hashchange", onChange);
    return () => window.removeEventListener("hashchange", onChange);
  }, []);
  return route;
}

export interface Resource<T> {
  data: T | null;
  error: string | null;
  loading: boolean;
  reload: () => void;
}

/**
 * Loads `path` and, with `everyMs`, reloads it on that period while the page is
 * open (live history and progress without a page reload). A failed refresh keeps
 * the last data on screen and shows the error beside it.
 */
export function useResource<T>(path: string | null, everyMs?: number): Resource<T> {
  const api = useApi();
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(path !== null);
  const [tick, setTick] = useState(0);
  const current = useRef(path);
  current.current = path;
  const reload = useCallback(() => setTick((n) => n + 1), []);
  // biome-ignore lint/correctness/useExhaustiveDependencies: tick asks for a reload
  useEffect(() => {
    if (path === null) return;
    let live = true;
    setLoading(true);
    api
      .get<T>(path)
      .then((value) => {
        if (live && current.current === path) {
          setData(value);
          setError(null);
        }
      })
      .catch((e: unknown) => {
        if (live) setError(messageOf(e));
      })
      .finally(() => {
        if (live) setLoading(false);
      });
    return () => {
      live = false;
    };
  }, [api, path, tick]);
  useEffect(() => {
    if (!everyMs || path === null) return;
    const timer = setInterval(reload, everyMs);
    return () => clearInterval(timer);
  }, [everyMs, path, reload]);
  return { data, error, loading, reload };
}
