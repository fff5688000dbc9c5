// Webhooks (docs/api.md, "Webhooks"): add one (its secret shown once), test it, see its
// deliveries and redeliver, disable, enable, remove. Admin keys only.

import { api } from "./api.js";
import { errorBox, h, notice, page, short } from "./ui.js";

const TYPES = [
  "session.created",
  "session.used",
  "session.limit_near",
  "session.revoked",
  "session.expired",
  "session.closed",
  "request.filed",
  "request.approved",
  "request.denied",
];

export async function webhooksPage() {
  const list = h("div", { id: "webhook-list", "aria-live": "polite" });
  const created = h("div", { id: "webhook-created" });
  const refresh = async () => {
    try {
      const { webhooks } = await api("GET", "/v1/webhooks");
      list.replaceChildren(
        webhooks.length
          ? h("div", { class: "table-wrap" }, webhookTable(webhooks, refresh))
          : h("p", { class: "muted" }, "No webhooks yet."),
      );
    } catch (e) {
      list.replaceChildren(errorBox(e));
    }
  };
  page(
    "Webhooks",
    h("p", { class: "help" }, "Leash posts events to these URLs as they happen on chain, signed by the Standard Webhooks convention (any Standard Webhooks library verifies them), retried for a day."),
    addForm(created, refresh),
    created,
    h("section", { "aria-labelledby": "webhooks-title" }, h("h2", { id: "webhooks-title" }, "Webhooks"), list),
  );
  await refresh();
}

function addForm(created, refresh) {
  const url = h("input", { id: "webhook-url", type: "url", required: true, placeholder: "https://example.com/leash", autocomplete: "off" });
  const wallet = h("input", { id: "webhook-wallet", placeholder: "any wallet", autocomplete: "off" });
  const boxes = TYPES.map((t) => h("label", { class: "check" }, h("input", { type: "checkbox", value: t, name: "webhook-event" }), ` ${t}`));
  const out = h("div", { class: "action-out" });
  const submit = async (event) => {
    event.preventDefault();
    out.replaceChildren();
    const events = boxes.map((b) => b.querySelector("input")).filter((i) => i.checked).map((i) => i.value);
    try {
      const hook = await api("POST", "/v1/webhooks", { url: url.value.trim(), events, ...(wallet.value.trim() ? { wallet: wallet.value.trim() } : {}) });
      created.replaceChildren(
        h(
          "section",
          { class: "card", id: "webhook-secret" },
          h("h2", {}, "Its signing secret, shown once"),
          h("p", {}, h("code", { class: "secret" }, hook.secret)),
          h("p", { class: "help" }, "Keep it where the receiver verifies signatures. It is not kept by this page; lost, remove the webhook and add it again."),
        ),
      );
      url.value = "";
      notice(`Webhook ${hook.id} added`);
      await refresh();
    } catch (e) {
      out.replaceChildren(errorBox(e));
    }
  };
  return h(
    "form",
    { class: "card", id: "add-webhook", onsubmit: submit },
    h("h2", {}, "Add a webhook"),
    h("label", { for: "webhook-url" }, "URL (http or https)"),
    url,
    h("fieldset", {}, h("legend", {}, "Events (none ticked: all)"), h("div", { class: "checks" }, boxes)),
    h("label", { for: "webhook-wallet" }, "Only this wallet (optional)"),
    wallet,
    h("div", { class: "row" }, h("button", { type: "submit", class: "primary", id: "add-webhook-submit" }, "Add webhook")),
    out,
  );
}

function webhookTable(webhooks, refresh) {
  return h(
    "table",
    { id: "webhooks" },
    h("thead", {}, h("tr", {}, ["URL", "Events", "Wallet", "State", "Actions"].map((t) => h("th", { scope: "col" }, t)))),
    h(
      "tbody",
      {},
      webhooks.map((w) => {
        const out = h("div", { class: "action-out" });
        const deliveries = h("div", { class: "deliveries" });
        const call = (label, fn) =>
          h("button", {
            type: "button",
            class: "small",
            onclick: async () => {
              out.replaceChildren();
              try {
                await fn();
              } catch (e) {
                out.replaceChildren(errorBox(e));
              }
            },
          }, label);
        return h(
          "tr",
          { "data-webhook": w.id },
          h("td", {}, h("code", {}, w.url)),
          h("td", {}, w.events.length ? w.events.join(", ") : "all"),
          h("td", {}, w.wallet ? short(w.wallet) : "any"),
          h("td", { class: "state" }, w.enabled ? "enabled" : "disabled"),
          h(
            "td",
            {},
            h(
              "div",
              { class: "row wrap" },
              call("Test", async () => {
                const t = await api("POST", `/v1/webhooks/${w.id}/test`, {});
                out.replaceChildren(
                  t.ok
                    ? h("p", { class: "ok", role: "status" }, `The receiver accepted the test message (HTTP ${t.status})`)
                    : errorBox({ code: "webhook_test_failed", message: t.error ?? "the receiver did not accept it", hint: "check the URL and that the receiver answers 2xx" }),
                );
              }),
              call("Deliveries", async () => deliveries.replaceChildren(await deliveryTable(w.id))),
              call(w.enabled ? "Disable" : "Enable", async () => {
                await api("POST", `/v1/webhooks/${w.id}/${w.enabled ? "disable" : "enable"}`, {});
                await refresh();
              }),
              call("Remove", async () => {
                await api("DELETE", `/v1/webhooks/${w.id}`);
                notice(`Webhook ${w.id} removed`);
                await refresh();
              }),
            ),
            out,
            deliveries,
          ),
        );
      }),
    ),
  );
}

async function deliveryTable(id) {
  const { deliveries } = await api("GET", `/v1/webhooks/${id}/deliveries`);
  if (!deliveries.length) return h("p", { class: "muted" }, "No deliveries yet.");
  return h(
    "table",
    { class: "delivery-log" },
    h("thead", {}, h("tr", {}, ["Event", "State", "Attempts", "Last answer", ""].map((t) => h("th", { scope: "col" }, t)))),
    h(
      "tbody",
      {},
      deliveries.map((d) =>
        h(
          "tr",
          { "data-delivery": d.id, "data-state": d.state },
          h("td", {}, `#${d.event_id}`),
          h("td", {}, d.state),
          h("td", {}, String(d.attempts)),
          h("td", {}, d.last_status ? `HTTP ${d.last_status}` : d.last_error ?? "—"),
          h(
            "td",
            {},
            h("button", {
              type: "button",
              class: "small",
              onclick: async (e) => {
                await api("POST", `/v1/webhooks/${id}/deliveries/${d.id}/redeliver`, {});
                e.target.replaceWith(h("span", { class: "ok" }, "queued"));
              },
            }, "Redeliver"),
          ),
        ),
      ),
    ),
  );
}
