// The one page served without a session: a plain HTML form (no script), so nothing of the
// UI's code or data is visible before sign-in.

const escape = (s: string) => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);

/** The sign-in page; `error` is shown above the form after a refused attempt. */
export function loginPage(error?: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>pxevirt — sign in</title><link rel="icon" href="data:,">
<style>
body{font:15px system-ui,sans-serif;background:#f4f5f7;color:#1d2430;display:grid;place-items:center;min-height:90vh;margin:0}
form{background:#fff;padding:2em;border-radius:8px;box-shadow:0 1px 4px #0002;width:min(28em,90vw)}
h1{font-size:1.3em;margin:0 0 1em}input{width:100%;box-sizing:border-box;padding:.5em;font:inherit;margin:.3em 0 1em}
button{padding:.5em 1.5em;font:inherit;background:#1f5fbf;color:#fff;border:0;border-radius:4px;cursor:pointer}
.err{color:#b00020;margin:0 0 1em}small{color:#667;display:block;margin-top:1.2em}code{font-size:.9em}
</style></head><body>
<form method="post" action="/ui/login">
<h1>pxevirt</h1>
${error ? `<p class="err" role="alert">${escape(error)}</p>` : ''}<label>Token<input type="password" name="token" autocomplete="current-password" autofocus required></label>
<button type="submit">Sign in</button>
<small>The token is the kubeconfig's <code>users[0].user.token</code> (also in <code>&lt;data-dir&gt;/token</code>):<br><code>kubectl config view --raw -o jsonpath='{.users[0].user.token}'</code></small>
</form></body></html>
`;
}
