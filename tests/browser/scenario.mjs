// The desk scenario of issue 21, step by step (desk.test.mjs runs it): a site signs in, enrols a
// subject, files an AE with one wrong field, sees the error beside it, corrects it; an officer signs
// in, sees the alert at the top of the inbox, opens the case, acknowledges it; the DSMB signs in
// and opens a report; each role is refused the others' pages; a forged POST without the CSRF token
// is refused. Also: the term search by keyboard alone, a form with JavaScript off, the print view.
const STUDY = 'hcc-pvtt-imrt';
const SUBJECT = 'S01-0101';

/** The form's submit button clicked, and the page it leads to. */
async function submit(page, selector = 'main form button[type=submit]') {
  // A field the browser itself refuses (required, a bad number) would stop the post silently.
  const invalid = await page.$$eval('main form :invalid', (es) => es.filter((e) => e.id).map((e) => `${e.id}: ${e.validationMessage}`));
  if (invalid.length) throw new Error(`the browser refuses the form: ${invalid.join('; ')}`);
  const [resp] = await Promise.all([page.waitForNavigation(), page.click(selector)]);
  return resp;
}

/** Sets an <input>'s value as a user would (cleared, then typed). */
async function fill(page, selector, value) {
  await page.click(selector, { clickCount: 3 });
  await page.keyboard.press('Backspace');
  await page.type(selector, value);
}

/** A date input typed as the user's keyboard would: Chromium's date field takes the digits in
 *  the order of its locale (en-US in headless: month, day, year). */
async function fillDate(page, selector, iso) {
  const [y, m, d] = iso.split('-');
  await page.focus(selector);
  await page.keyboard.type(`${m}${d}${y}`);
}

export async function run({ browser, base, step, visit, signIn, statusOf, text, api, assert }) {
  const S = `/desk/studies/${STUDY}`;
  let caseUrl = '';

  await step('sign-in page: the form, and a wrong token is refused beside the field', async () => {
    const ctx = await browser.createBrowserContext();
    const page = await ctx.newPage();
    await page.setBypassCSP(true);
    await page.goto(`${base}/desk/sign-in`);
    await visit(page, 'sign-in');
    await page.type('#token', 'not-a-token');
    await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
    assert.equal(await page.$eval('#token', (e) => e.getAttribute('aria-invalid')), 'true');
    assert.match(await text(page, '#token-error'), /not valid/);
    await ctx.close();
  });

  // A DSMB report to open, built by the officer through the API.
  await step('set-up: a DSMB report exists', async () => {
    const r = await api(base, 'demo-officer', 'POST', `/v1/studies/${STUDY}/dsmb-reports`, {});
    assert.equal(r.status, 201, r.text);
  });

  await step('site: signs in, enrols a subject through the form', async () => {
    const { ctx, page } = await signIn(browser, base, 'demo-site-s01');
    assert.match(page.url(), /\/desk\/studies$/);
    await visit(page, 'site-studies');
    await Promise.all([page.waitForNavigation(), page.click(`a[href="${S}/subjects/new"]`)]);
    await visit(page, 'site-enrol');
    await page.type('#subject', SUBJECT);
    await fillDate(page, '#enrolled', '2026-09-01');
    await page.select('#sex', 'M');
    await page.type('#age', '61');
    const resp = await submit(page);
    assert.equal(resp.status(), 200);
    assert.ok(page.url().endsWith(`${S}/subjects/${SUBJECT}`), page.url());
    const stored = await api(base, 'demo-officer', 'GET', `/v1/studies/${STUDY}/subjects/${SUBJECT}`);
    assert.equal(stored.status, 200, stored.text);
    assert.equal(stored.json.enrolment?.site ?? stored.json.site, 'S01');
    await ctx.close();
  });

  await step('site: files an AE by keyboard, one wrong field is shown beside it, corrected', async () => {
    const { ctx, page } = await signIn(browser, base, 'demo-site-s01');
    await page.goto(`${base}${S}/ae/new?subject=${SUBJECT}`);
    await visit(page, 'site-ae-form');
    await page.type('#report_id', `${SUBJECT}-AE-001`);
    // The term search: typed, the listbox opens, ArrowDown and Enter choose; the grades offered
    // are then the term's own.
    await page.focus('#term');
    await page.keyboard.type('Pneumonit');
    await page.waitForSelector('#term-listbox [role=option]', { visible: true });
    assert.equal(await page.$eval('#term', (e) => e.getAttribute('aria-expanded')), 'true');
    await visit(page, 'site-term-search');
    // Down the list until the active option is the term (search ranks synonyms too).
    let active = '';
    for (let i = 0; i < 12 && !/^Pneumonitis\b/.test(active); i++) {
      await page.keyboard.press('ArrowDown');
      const id = await page.$eval('#term', (e) => e.getAttribute('aria-activedescendant') || '');
      assert.match(id, /term-listbox-/);
      active = await page.$eval(`#${id}`, (e) => e.textContent.trim());
    }
    assert.match(active, /^Pneumonitis/);
    await page.keyboard.press('Enter');
    assert.equal(await page.$eval('#term', (e) => e.value), 'Pneumonitis');
    await page.waitForFunction(() => document.querySelectorAll('#grade option[value="5"]').length === 1 &&
      document.querySelector('#grade option[value="5"]').textContent.length > 3);
    await page.select('#grade', '5');
    await fillDate(page, '#onset', '2026-10-02');
    await page.click('#serious-death');
    await page.select('#causality-camrelizumab', 'probable');
    await page.select('#outcome', 'fatal');
    // datetime-local: Chromium's field takes the digits of its locale; the value is set as a
    // picker would set it.
    await page.$eval('#site_aware_at', (e) => { e.value = '2026-10-03T08:10'; });
    // The wrong field: resolved before the onset.
    await fillDate(page, '#resolved', '2026-09-20');
    let resp = await submit(page, '#ae-form button[type=submit], main form button[type=submit]');
    assert.equal(resp.status(), 422);
    assert.equal(await page.$eval('#resolved', (e) => e.getAttribute('aria-invalid')), 'true');
    assert.match(await page.$eval('#resolved', (e) => e.getAttribute('aria-describedby')), /resolved-error/);
    assert.ok((await text(page, '#resolved-error')).length > 0);
    assert.ok(await page.$('.error-summary[role=alert] a[href="#resolved"]'), 'the summary links to the field');
    assert.equal(await page.$eval('#report_id', (e) => e.value), `${SUBJECT}-AE-001`, 'typed values kept');
    assert.equal(await page.$eval('#term', (e) => e.value), 'Pneumonitis');
    await visit(page, 'site-ae-error');
    // Corrected: no resolution date (the subject died of it).
    await page.$eval('#resolved', (e) => { e.value = ''; });
    resp = await submit(page, '#ae-form button[type=submit], main form button[type=submit]');
    assert.equal(resp.status(), 200);
    assert.match(page.url(), new RegExp(`${S}/ae/\\d+$`));
    caseUrl = new URL(page.url()).pathname;
    await visit(page, 'site-case');
    const id = caseUrl.split('/').pop();
    const stored = await api(base, 'demo-officer', 'GET', `/v1/studies/${STUDY}/ae/${id}`);
    assert.equal(stored.status, 200);
    assert.equal(stored.json.term, 'Pneumonitis');
    assert.equal(stored.json.grade, 5);
    assert.equal(stored.json.serious.death, true);
    await ctx.close();
  });

  await step('site: refused the officer\'s and the DSMB\'s pages', async () => {
    const { ctx, page } = await signIn(browser, base, 'demo-site-s01');
    for (const path of ['/desk/inbox', '/desk/dsmb', S, `${caseUrl}/icsr.xml`, `${caseUrl}/cioms`]) {
      assert.equal(await statusOf(page, base, path), 403, `site on ${path}`);
    }
    await visit(page, 'forbidden');
    await ctx.close();
  });

  await step('site S02: another site\'s case and subject are not found, as in the API', async () => {
    const { ctx, page } = await signIn(browser, base, 'demo-site-s02');
    assert.equal(await statusOf(page, base, caseUrl), 404);
    assert.equal(await statusOf(page, base, `${S}/subjects/${SUBJECT}`), 404);
    await page.goto(`${base}${S}/subjects`);
    assert.ok(!(await page.content()).includes(SUBJECT), 'S02 does not list S01\'s subject');
    await ctx.close();
  });

  await step('officer: the alert is at the top of the inbox; opens the case; acknowledges it', async () => {
    const { ctx, page } = await signIn(browser, base, 'demo-officer');
    await Promise.all([page.waitForNavigation(), page.click('nav a[href="/desk/inbox"]')]);
    await visit(page, 'officer-inbox');
    const first = await page.$eval('#inbox tbody tr', (tr) => tr.textContent);
    assert.match(first, /P1/);
    assert.match(first, new RegExp(SUBJECT));
    const link = await page.$(`#inbox tbody tr:first-child a[href="${caseUrl}"]`);
    assert.ok(link, 'the first row links to the case');
    await Promise.all([page.waitForNavigation(), link.click()]);
    assert.equal(new URL(page.url()).pathname, caseUrl);
    for (const id of ['coding', 'classification', 'versions', 'clocks', 'alerts']) {
      assert.ok(await page.$(`h2#${id}`), `case section ${id}`);
    }
    assert.ok(await page.$('#icsr-link, #icsr-unavailable'));
    await visit(page, 'officer-case');
    const input = await page.$('main input[id^="ack-"]');
    assert.ok(input, 'an acknowledge form on the case');
    const inputId = await input.evaluate((e) => e.id);
    const alertId = inputId.split('-').pop();
    await page.type(`#${inputId}`, 'PI called; SAE form requested');
    // By keyboard: Enter in the comment field sends its form.
    await page.focus(`#${inputId}`);
    await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
    assert.equal(new URL(page.url()).pathname, caseUrl);
    const alerts = await api(base, 'demo-officer', 'GET', `/v1/studies/${STUDY}/alerts?status=acked`);
    assert.equal(alerts.status, 200, alerts.text);
    const acked = alerts.json.items.find((a) => String(a.id) === alertId);
    assert.ok(acked, `alert ${alertId} acknowledged`);
    assert.match(JSON.stringify(acked), /PI called; SAE form requested/);
    // The print view: no navigation, no forms.
    await page.emulateMediaType('print');
    assert.equal(await page.$eval('nav', (e) => getComputedStyle(e).display), 'none');
    await visit(page, 'officer-case-print');
    await page.emulateMediaType('screen');
    await page.goto(`${base}${S}`);
    await visit(page, 'officer-study');
    await page.goto(`${base}${S}/subjects/${SUBJECT}`);
    assert.ok(await page.$('svg[role=img]'), 'the timeline');
    await visit(page, 'officer-subject');
    for (const path of [`${S}/ae/new`, `${S}/subjects/new`]) {
      assert.equal(await statusOf(page, base, path), 403, `officer on ${path}`);
    }
    await ctx.close();
  });

  await step('site with JavaScript off: a follow-up through the plain form', async () => {
    const { ctx, page } = await signIn(browser, base, 'demo-site-s01');
    await page.setJavaScriptEnabled(false);
    await page.goto(`${base}${caseUrl}/follow-up`);
    await page.type('#followup_id', 'FU-1');
    await page.type('#changes-narrative', 'Died on day 12 despite high-dose steroids.');
    const resp = await submit(page);
    assert.equal(resp.status(), 200);
    assert.equal(new URL(page.url()).pathname, caseUrl);
    const id = caseUrl.split('/').pop();
    const stored = await api(base, 'demo-officer', 'GET', `/v1/studies/${STUDY}/ae/${id}`);
    assert.equal(stored.json.version, 2);
    await ctx.close();
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
    for (const path of ['/desk/studies', '/desk/inbox', S, `${S}/subjects`, `${S}/ae/new`, caseUrl]) {
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
