// The desk scenario of issue 21, step by step (desk.test.mjs runs it).
const STUDY = 'hcc-pvtt-imrt';

export async function run({ browser, base, step, visit, signIn, statusOf, text, api, assert }) {
  const S = `/desk/studies/${STUDY}`;

  await step('sign-in page: the form, and a wrong token is refused beside the field', async () => {
    const ctx = await browser.createBrowserContext();
    const page = await ctx.newPage();
    await page.setBypassCSP(true);
    await page.goto(`${base}/desk/sign-in`);
    await visit(page, 'sign-in');
    await page.type('#token', 'not-a-token');
    await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
    assert.equal(await page.$eval('#token', (e) => e.getAttribute('aria-invalid')), 'true');
    assert.match(await text(page, '#token-error'), /not valid/);
    await ctx.close();
  });

  // A DSMB report to open, built by the officer through the API.
  await step('set-up: a DSMB report exists', async () => {
    const r = await api(base, 'demo-officer', 'POST', `/v1/studies/${STUDY}/dsmb-reports`, {});
    assert.equal(r.status, 201, r.text);
  });

  await step('DSMB: signs in, lands on the reports, opens one; every other page refused', async () => {
    const { ctx, page } = await signIn(browser, base, 'demo-dsmb');
    assert.match(page.url(), /\/desk\/dsmb$/);
    await visit(page, 'dsmb-reports');
    const link = await page.$('main table a');
    assert.ok(link, 'a report link');
    await Promise.all([page.waitForNavigation(), link.click()]);
    assert.match(page.url(), /\/desk\/dsmb\/hcc-pvtt-imrt\/reports\/\d+$/);
    assert.match(await page.content(), /DSMB/);
    await visit(page, 'dsmb-report');
    for (const path of ['/desk/studies', '/desk/inbox', `${S}`, `${S}/subjects`, `${S}/ae/new`]) {
      assert.equal(await statusOf(page, base, path), 403, `DSMB on ${path}`);
    }
    await ctx.close();
  });

  await step('a forged POST without the CSRF token is refused and the session survives', async () => {
    const { ctx, page } = await signIn(browser, base, 'demo-officer');
    // A form the desk never served: no csrf field.
    await page.evaluate(() => {
      const f = document.createElement('form');
      f.method = 'post';
      f.action = '/desk/sign-out';
      document.body.appendChild(f);
      f.submit();
    });
    await page.waitForNavigation();
    assert.match(await page.content(), /did not come from the desk/);
    assert.equal(await statusOf(page, base, '/desk/studies'), 200, 'still signed in');
    await ctx.close();
  });
}
