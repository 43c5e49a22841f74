"use strict";
// mock-em dashboard: poll the data endpoint every couple of seconds and swap in the sections whose
// (server-rendered, escaped) HTML changed. Opened as /mock/dashboard?token=..., the page sends the
// control token on as the X-Mock-Token header. Nothing is fetched from anywhere else.
(() => {
  const body = document.body;
  const source = body.dataset.src;
  const interval = Number(body.dataset.interval) || 2000;
  const token = new URLSearchParams(window.location.search).get("token");
  const status = document.getElementById("status");
  const sections = ["summary", "jobs", "tenants", "repositories", "sessions", "requests"];
  const shown = {};
  let failures = 0;
  let timer = null;
  let busy = false;

  function say(text, state) {
    status.textContent = text;
    status.dataset.state = state;
  }

  function schedule(delay) {
    clearTimeout(timer);
    timer = document.hidden ? null : setTimeout(poll, delay);
  }

  async function poll() {
    timer = null;
    busy = true;
    const controller = new AbortController();
    const deadline = setTimeout(() => controller.abort(), 10000);
    let delay = interval;
    try {
      const headers = { Accept: "application/json" };
      if (token) headers["X-Mock-Token"] = token;
      const response = await fetch(source, { headers, cache: "no-store", signal: controller.signal });
      if (response.status === 401) {
        say("The control token is missing or wrong: open this page as /mock/dashboard?token=…", "error");
        delay = interval * 5;
        return;
      }
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const data = await response.json();
      for (const id of sections) {
        const html = data.html[id];
        if (html !== shown[id]) {
          document.getElementById(id).innerHTML = html;
          shown[id] = html;
        }
      }
      body.dataset.newestPoint = data.newestPoint || "";
      body.dataset.pointCount = String(data.world.points);
      body.dataset.polls = String(Number(body.dataset.polls || 0) + 1);
      failures = 0;
      say(`Live · updated ${new Date().toLocaleTimeString()} · every ${interval / 1000} s`, "live");
    } catch (error) {
      failures += 1;
      delay = Math.min(interval * 2 ** failures, 30000);
      say(`Cannot reach mock-em (${error.name === "AbortError" ? "timed out" : error.message}); retrying`, "error");
    } finally {
      clearTimeout(deadline);
      busy = false;
      schedule(delay);
    }
  }

  document.addEventListener("visibilitychange", () => {
    if (document.hidden) {
      clearTimeout(timer);
      timer = null;
      say("Paused while the tab is hidden", "paused");
    } else if (!busy) {
      schedule(0);
    }
  });
  poll();
})();
