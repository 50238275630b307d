/**
 * /docs: a small page that reads /openapi.json and lists every operation with
 * its parameters, body and answers. Self-contained (no CDN, no network).
 */
export const DOCS_HTML = `<!doctype html>
<html lang="pt-BR">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>remessa API — referência</title>
<style>
body{font-family:system-ui,sans-serif;margin:0 auto;max-width:60rem;padding:1rem;color:#222}
h1{font-size:1.5rem}h2{font-size:1.2rem;border-bottom:1px solid #ccc;margin-top:2rem}
details{border:1px solid #ddd;border-radius:4px;margin:.4rem 0;padding:.3rem .6rem}
summary{cursor:pointer}code,pre{font-family:ui-monospace,monospace;font-size:.85rem}
pre{background:#f6f6f6;padding:.5rem;overflow:auto}
.m{display:inline-block;min-width:4.5rem;font-weight:bold}
.GET{color:#0a6}.POST{color:#06c}.PATCH{color:#a60}.DELETE{color:#c03}
.lock{color:#888;font-size:.8rem}
</style>
</head>
<body>
<h1>remessa API</h1>
<p id="intro">Carregando <a href="openapi.json">openapi.json</a>…</p>
<div id="ops"></div>
<script>
(function () {
  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text) e.textContent = text;
    if (cls) e.className = cls;
    return e;
  }
  function block(title, value) {
    var d = el("div");
    d.appendChild(el("strong", title));
    d.appendChild(el("pre", JSON.stringify(value, null, 2)));
    return d;
  }
  fetch("openapi.json").then(function (r) { return r.json(); }).then(function (doc) {
    document.getElementById("intro").textContent = doc.info.description + " Versão " + doc.info.version + ".";
    var byTag = {};
    Object.keys(doc.paths).forEach(function (path) {
      Object.keys(doc.paths[path]).forEach(function (method) {
        var op = doc.paths[path][method];
        var tag = (op.tags && op.tags[0]) || "outros";
        (byTag[tag] = byTag[tag] || []).push({ path: path, method: method.toUpperCase(), op: op });
      });
    });
    var root = document.getElementById("ops");
    Object.keys(byTag).sort().forEach(function (tag) {
      root.appendChild(el("h2", tag));
      byTag[tag].forEach(function (item) {
        var d = el("details");
        var s = el("summary");
        s.appendChild(el("span", item.method, "m " + item.method));
        s.appendChild(el("code", item.path));
        s.appendChild(document.createTextNode(" — " + (item.op.summary || "")));
        if (item.op.security && item.op.security.length) s.appendChild(el("span", " (chave)", "lock"));
        d.appendChild(s);
        if (item.op.description) d.appendChild(el("p", item.op.description));
        if (item.op.parameters) d.appendChild(block("Parâmetros", item.op.parameters));
        if (item.op.requestBody) d.appendChild(block("Corpo", item.op.requestBody.content));
        d.appendChild(block("Respostas", item.op.responses));
        root.appendChild(d);
      });
    });
    root.appendChild(el("h2", "Esquemas"));
    root.appendChild(el("pre", JSON.stringify(doc.components.schemas, null, 2)));
  }).catch(function (e) {
    document.getElementById("intro").textContent = "Não foi possível ler openapi.json: " + e;
  });
})();
</script>
</body>
</html>
`;
