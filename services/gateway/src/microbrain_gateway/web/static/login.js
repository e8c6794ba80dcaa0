// Sign-in: POST /api/v1/auth/login, keep the token in sessionStorage, go where the user was headed.
(function () {
  "use strict";
  const form = document.getElementById("login-form");
  const errBox = document.getElementById("login-error");
  const submit = document.getElementById("login-submit");
  const showError = (text) => { errBox.textContent = text; errBox.classList.remove("hidden"); };

  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    errBox.classList.add("hidden");
    submit.disabled = true;
    submit.textContent = MB.t("login.busy");
    try {
      const reply = await MB.api("/api/v1/auth/login", {
        method: "POST", noRedirect: true,
        body: { username: form.username.value.trim(), password: form.password.value },
      });
      MB.saveLogin(reply);
      const next = new URLSearchParams(location.search).get("next");
      // Only same-site paths: never an open redirect.
      const safe = next && next.startsWith("/") && !next.startsWith("//") && !next.startsWith("/login");
      location.replace(safe ? next : MB.homeFor(reply.user));
    } catch (err) {
      if (err.status === 401) showError(MB.t("login.failed"));
      else if (err.status === 429) showError(MB.t("login.rate", { s: err.retryAfter || "60" }));
      else showError(MB.t("login.error", { msg: err.message }));
      submit.disabled = false;
      submit.textContent = MB.t("login.submit");
    }
  });
})();
