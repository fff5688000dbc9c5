// The sign-in page: an API key once, for the cookie (docs/dashboard.md).

import { api, setCsrfToken } from "./api.js";
import { errorBox, h, page, renderHeader, state } from "./ui.js";

export function signInPage() {
  const input = h("input", {
    id: "api-key",
    name: "api_key",
    type: "password",
    autocomplete: "off",
    spellcheck: "false",
    required: true,
    placeholder: "lk_…",
  });
  const out = h("div", { class: "action-out" });
  const form = h(
    "form",
    { class: "card narrow", id: "sign-in-form" },
    h("p", {}, "Sign in with an API key: ", h("code", {}, "leash up"), " (or ", h("code", {}, "leash serve"), ") printed an admin key on its first start; ", h("code", {}, "leash api-key create"), " makes more."),
    h("label", { for: "api-key" }, "API key"),
    input,
    h("button", { type: "submit", class: "primary" }, "Sign in"),
    out,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    out.replaceChildren();
    try {
      const me = await api("POST", "/v1/dashboard/sign-in", { api_key: input.value.trim() });
      input.value = "";
      signedIn(me);
      location.hash = "#/wallets";
    } catch (e) {
      out.replaceChildren(errorBox(e));
      input.focus();
    }
  });
  page("Sign in", form);
  input.focus();
}
export function signedIn(me) {
  state.me = me;
  setCsrfToken(me.csrf_token);
  renderHeader();
}
