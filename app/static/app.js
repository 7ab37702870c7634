// Aanwezig's only script (the CSP allows no inline scripts). Each part checks its page first.

// Live roster: refresh each participant's in/out state every few seconds.
(function () {
  "use strict";
  const table = document.querySelector("table[data-roster-url]");
  if (!table) return;
  const url = table.dataset.rosterUrl;
  const counter = document.querySelector("[data-roster-count=in]");
  async function refresh() {
    if (document.hidden) return;
    try {
      const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
      if (!response.ok) return;
      let present = 0;
      for (const entry of await response.json()) {
        if (entry.state === "in") present += 1;
        const row = table.querySelector(`tr[data-participant="${entry.id}"]`);
        if (!row) continue;
        const state = row.querySelector(".state");
        state.className = `state state-${entry.state}`;
        state.textContent = entry.state === "in" ? table.dataset.labelIn || "in" : table.dataset.labelOut || "out";
        row.querySelector(".last").textContent = entry.last_at || "";
      }
      if (counter) counter.textContent = String(present);
    } catch (error) {
      // Offline for a moment: the next tick tries again.
    }
  }
  setInterval(refresh, 5000);
})();

// Checkbox lists (participants, trainers): a filter box hides the entries that do not match.
document.querySelectorAll("input[data-filter-for]").forEach(function (input) {
  "use strict";
  const list = document.getElementById(input.dataset.filterFor);
  if (!list) return;
  input.addEventListener("input", function () {
    const wanted = input.value.trim().toLowerCase();
    list.querySelectorAll("li").forEach(function (item) {
      item.hidden = wanted !== "" && !item.textContent.toLowerCase().includes(wanted);
    });
  });
  // Enter in the filter box must not submit the form.
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter") event.preventDefault();
  });
});

// Confirm buttons: <button data-confirm="text">
document.addEventListener("click", function (event) {
  const button = event.target.closest("[data-confirm]");
  if (button && !window.confirm(button.dataset.confirm)) event.preventDefault();
});

// The portal's printable QR code: a print button (no inline script under the CSP).
document.querySelectorAll("[data-print]").forEach(function (button) {
  "use strict";
  button.addEventListener("click", function () { window.print(); });
});
