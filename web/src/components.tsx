import { cloneElement, type ReactElement, type ReactNode, useId } from "react";

export function ErrorBox({ message }: { message: string | null }) {
  if (!message) return null;
  return (
    <p className="error" role="alert">
      {message}
    </p>
  );
}

export function Loading({ what }: { what: string }) {
  return <p className="muted">Carregando {what}…</p>;
}

export function Page({
  title,
  children,
  actions,
}: {
  title: string;
  children: ReactNode;
  actions?: ReactNode;
}) {
  return (
    <section className="page" aria-labelledby="page-title">
      <header className="page-header">
        <h1 id="page-title">{title}</h1>
        {actions}
      </header>
      {children}
    </section>
  );
}

/**
 * A labelled control. The label points at the control by id (not by wrapping it), so the
 * control's accessible name is the label alone, without the control's own value; the hint
 * is its description.
 */
export function Field({
  label,
  children,
  hint,
}: {
  label: string;
  children: ReactElement;
  hint?: string;
}) {
  const id = useId();
  const control = cloneElement(
    children as ReactElement<{ id?: string; "aria-describedby"?: string }>,
    {
      id,
      ...(hint ? { "aria-describedby": `${id}-hint` } : {}),
    },
  );
  return (
    <div className="field">
      <label className="field-label" htmlFor={id}>
        {label}
      </label>
      {control}
      {hint ? (
        <span className="field-hint" id={`${id}-hint`}>
          {hint}
        </span>
      ) : null}
    </div>
  );
}

export function Stat({
  label,
  value,
  tone,
}: {
  label: string;
  value: string;
  tone?: "ok" | "bad" | "warn";
}) {
  return (
    <div className={`stat ${tone ?? ""}`}>
      <span className="stat-value">{value}</span>
      <span className="stat-label">{label}</span>
    </div>
  );
}

/** Saves a Blob as a file: downloads need the key in a header, so no plain link can do it. */
export function saveBlob(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
