// Live roster: refresh each participant's in/out state every few seconds.
(function () {
  "use strict";
  const table = document.querySelector("table[data-roster-url]");
  if (!table) return;
  const url = table.dataset.rosterUrl;
  async function refresh() {
    try {
      const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
      if (!response.ok) return;
      for (const entry of await response.json()) {
        const row = table.querySelector(`tr[data-participant="${entry.id}"]`);
        if (!row) continue;
        const state = row.querySelector(".state");
        state.className = `state state-${entry.state}`;
        state.textContent = entry.state === "in" ? table.dataset.labelIn || "in" : table.dataset.labelOut || "uit";
        row.querySelector(".last").textContent = entry.last_at || "";
      }
    } catch (error) {
      // Offline for a moment: the next tick tries again.
    }
  }
  setInterval(refresh, 5000);
})();

// Confirm buttons: <button data-confirm="text">
document.addEventListener("click", function (event) {
  const button = event.target.closest("[data-confirm]");
  if (button && !window.confirm(button.dataset.confirm)) event.preventDefault();
});
