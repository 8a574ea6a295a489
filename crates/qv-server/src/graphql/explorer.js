// The GraphQL explorer: posts the query with the token typed here (kept in
// this page only, never stored) and shows the answer, or the schema's SDL.
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  const show = (label, text) => {
    $("result-label").textContent = label;
    $("result").textContent = text;
  };

  async function run() {
    let variables;
    try {
      variables = JSON.parse($("variables").value || "{}");
    } catch (e) {
      show("Result", "Variables are not JSON: " + e.message);
      return;
    }
    const headers = { "Content-Type": "application/json" };
    const token = $("token").value.trim();
    if (token) headers.Authorization = "Bearer " + token;
    show("Result", "…");
    try {
      const r = await fetch("/graphql", {
        method: "POST",
        headers,
        body: JSON.stringify({ query: $("query").value, variables }),
      });
      const text = await r.text();
      let body = text;
      try {
        body = JSON.stringify(JSON.parse(text), null, 2);
      } catch (_) {
        // Not JSON: show as is.
      }
      show("Result (HTTP " + r.status + ")", body);
    } catch (e) {
      show("Result", "Request failed: " + e.message);
    }
  }

  async function schema() {
    try {
      const r = await fetch("/graphql/schema.graphql");
      show("Schema (SDL)", await r.text());
    } catch (e) {
      show("Schema", "Request failed: " + e.message);
    }
  }

  $("run").addEventListener("click", run);
  $("schema").addEventListener("click", schema);
  document.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) run();
  });
})();
