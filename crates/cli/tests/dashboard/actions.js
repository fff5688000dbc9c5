// What the browser tests share: waiting for a dashboard action to confirm.

/** Clicks an action and waits until its transaction(s) confirmed (or fails with its error). */
export async function act(page, buttonSelector, { confirm = false } = {}) {
  const before = Number((await page.evaluate(() => document.body.dataset.confirmed)) || 0);
  const button = page.locator(buttonSelector);
  const handle = await button.elementHandle();
  await button.click();
  if (confirm) {
    const dialog = page.locator("dialog.confirm");
    await dialog.waitFor();
    await dialog.getByRole("button", { name: /Revoke|Close/ }).click();
  }
  await page.waitForFunction(
    ([n, b]) =>
      Number(document.body.dataset.confirmed || 0) > n ||
      (b.isConnected && b.closest(".action") && b.closest(".action").querySelector(".error")),
    [before, handle],
    { timeout: 60000 },
  );
  const error = await handle.evaluate((b) => {
    const e = b.isConnected && b.closest(".action") ? b.closest(".action").querySelector(".error") : null;
    return e ? e.innerText : null;
  });
  if (error) throw new Error(`action refused: ${error}`);
}
