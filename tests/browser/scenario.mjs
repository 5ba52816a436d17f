// The desk scenario of issue 21, step by step (desk.test.mjs runs it): a site signs in, enrols a
// subject, files an AE with one wrong field, sees the error beside it, corrects it; an officer signs
// in, sees the alert at the top of the inbox, opens the case, acknowledges it; the DSMB signs in
// and opens a report; each role is refused the others' pages; a forged POST without the CSRF token
// is refused. Also: the desk by keyboard alone (skip link, sign-in, every AE-form control by Tab),
// the grades a chosen term offers, a form with JavaScript off, the print view of four pages, and
// every other page of a site, each checked with axe-core and photographed.
const STUDY = 'hcc-pvtt-imrt';
const SUBJECT = 'S01-0101';
const OTHER = 'S01-0100';

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

/** The page under print media: navigation and forms hidden, nothing wider than the page; then a
 *  PDF as Chromium prints it (A4), photographed under print media as `<label>-print`. */
async function printableImpl(page, label, visit, assert) {
  await page.emulateMediaType('print');
  try {
    const hidden = await page.$$eval('nav, header form, .skip, .no-print', (es) => es.every((e) => getComputedStyle(e).display === 'none'));
    assert.ok(hidden, `${label}: navigation and forms hidden in print`);
    const over = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(over <= 0, `${label}: ${over} px wider than the page`);
    const pdf = await page.pdf({ format: 'A4', printBackground: false });
    assert.equal(Buffer.from(pdf.slice(0, 5)).toString(), '%PDF-');
    await visit(page, `${label}-print`);
  } finally {
    await page.emulateMediaType('screen');
  }
}

export async function run({ browser, base, step, visit, signIn, statusOf, text, api, assert }) {
  const S = `/desk/studies/${STUDY}`;
  let caseUrl = '';
  const printable = (page, label) => printableImpl(page, label, visit, assert);

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

  // A DSMB report to open, built by the officer through the API; and an earlier, lesser case
  // (a grade 3 AE of another subject that led to hospitalisation: serious, not life-threatening), so that the inbox has more than one row to
  // order when the site's fatal case arrives.
  await step('set-up: a DSMB report and an earlier, lesser serious case exist', async () => {
    const r = await api(base, 'demo-officer', 'POST', `/v1/studies/${STUDY}/dsmb-reports`, {});
    assert.equal(r.status, 201, r.text);
    const subj = await api(base, 'demo-site-s01', 'POST', `/v1/studies/${STUDY}/subjects`,
      { subject: OTHER, enrolled: '2026-08-20', sex: 'F', age: 58 });
    assert.equal(subj.status, 201, subj.text);
    const ae = await api(base, 'demo-site-s01', 'POST', `/v1/studies/${STUDY}/ae`, {
      // Reported within the hour the site learnt of it: no late report, no overdue clock.
      report_id: `${OTHER}-AE-001`, subject: OTHER, term: 'Fatigue', grade: 3,
      onset: new Date(Date.now() - 86400e3).toISOString().slice(0, 10),
      site_aware_at: new Date(Date.now() - 3600e3).toISOString(),
      serious: { death: false, life_threatening: false, hospitalization: true, disability: false,
        congenital_anomaly: false, medically_important: false },
      causality: { camrelizumab: 'possible', apatinib: 'unlikely', imrt: 'unrelated', surgery: 'unrelated' },
      outcome: 'recovering',
    });
    assert.equal(ae.status, 201, ae.text);
    const open = await api(base, 'demo-officer', 'GET', `/v1/studies/${STUDY}/alerts?status=open`);
    assert.ok(open.json.items.length >= 1, `the earlier case raised an alert: ${open.text}`);
  });

  await step('keyboard alone: skip link, sign-in, focus always visible, tab order as the page reads', async () => {
    const ctx = await browser.createBrowserContext();
    const page = await ctx.newPage();
    await page.setBypassCSP(true);
    await page.setViewport({ width: 1000, height: 760 });
    await page.goto(`${base}/desk/sign-in`);
    const focused = () => page.evaluate(() => {
      const e = document.activeElement;
      const st = getComputedStyle(e);
      const r = e.getBoundingClientRect();
      return { tag: e.tagName, id: e.id, cls: e.className, name: e.getAttribute('name'), text: e.textContent.trim(),
        outline: parseFloat(st.outlineWidth) || 0, visible: r.width > 0 && r.height > 0 && r.left >= 0 };
    });
    await page.keyboard.press('Tab');
    let f = await focused();
    assert.equal(f.cls, 'skip', 'the first Tab reaches the skip link');
    assert.ok(f.visible, 'the skip link shows when focused');
    await page.keyboard.press('Tab');
    f = await focused();
    assert.equal(f.id, 'token');
    assert.ok(f.outline >= 2, 'a visible focus ring');
    await page.keyboard.type('demo-site-s01');
    await page.keyboard.press('Tab');
    f = await focused();
    assert.equal(f.tag, 'BUTTON');
    assert.equal(f.text, 'Sign in');
    await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
    assert.match(page.url(), /\/desk\/studies$/);
    // The AE form by Tab alone: every control is reached, in the order of the page, none with a
    // positive tabindex, each with a visible focus ring and a label.
    await page.goto(`${base}${S}/ae/new`);
    const controls = await page.$$eval('main form[method=post] input:not([type=hidden]), main form[method=post] select, main form[method=post] textarea, main form[method=post] button',
      (es) => es.filter((e) => !e.disabled).map((e) => e.id || e.textContent.trim()));
    assert.ok(controls.length >= 10, `the AE form has its controls (${controls.length})`);
    assert.equal(await page.$$eval('[tabindex]', (es) => es.filter((e) => e.tabIndex > 0).length), 0);
    const unlabelled = await page.$$eval('main input:not([type=hidden]), main select, main textarea',
      (es) => es.filter((e) => !(e.labels && e.labels.length) && !e.getAttribute('aria-label') && !e.getAttribute('aria-labelledby')).map((e) => e.id));
    assert.deepEqual(unlabelled, []);
    await page.focus('#report_id');
    const reached = [];
    for (let i = 0; i < 200 && reached.length < controls.length; i++) {
      f = await focused();
      if (controls.includes(f.id || f.text) && !reached.includes(f.id || f.text)) {
        assert.ok(f.outline >= 2, `focus ring on ${f.id || f.text}`);
        reached.push(f.id || f.text);
      }
      await page.keyboard.press('Tab');
    }
    // Radio groups take one Tab stop (arrow keys move within): compare the rest.
    const radios = await page.$$eval('main form[method=post] input[type=radio]', (es) => es.map((e) => e.id));
    const want = controls.filter((c) => !radios.includes(c));
    assert.deepEqual(reached.filter((c) => !radios.includes(c)), want, 'Tab reaches every control in page order');
    await ctx.close();
  });

  await step('site: signs in, enrols a subject through the form', async () => {
    const { ctx, page } = await signIn(browser, base, 'demo-site-s01');
    assert.match(page.url(), /\/desk\/studies$/);
    await visit(page, 'site-studies');
    await Promise.all([page.waitForNavigation(), page.click(`a[href="${S}/subjects/new"]`)]);
    await visit(page, 'site-enrol');
    // An enrolment date in the future: the server refuses it beside the field, the rest kept.
    await page.type('#subject', SUBJECT);
    await fillDate(page, '#enrolled', '2099-09-01');
    await page.select('#sex', 'M');
    await page.type('#age', '61');
    let resp = await submit(page);
    assert.equal(resp.status(), 422);
    assert.equal(await page.$eval('#enrolled', (e) => e.getAttribute('aria-invalid')), 'true');
    const described = await page.$eval('#enrolled', (e) => e.getAttribute('aria-describedby') || '');
    assert.match(await text(page, `#${described.split(' ').find((x) => x.includes('error'))}`), /in the future/);
    assert.equal(await page.$eval('#subject', (e) => e.value), SUBJECT);
    await visit(page, 'site-enrol-error');
    await fillDate(page, '#enrolled', '2026-09-01');
    resp = await submit(page);
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
    // A term with two grades first: the grade list becomes its two (CTCAE v5.0 Alopecia: grades
    // 1 and 2 only).
    await page.focus('#term');
    await page.keyboard.type('Alopeci');
    await page.waitForSelector('#term-listbox [role=option]', { visible: true });
    let pick = '';
    for (let i = 0; i < 12 && !/^Alopecia\b/.test(pick); i++) {
      await page.keyboard.press('ArrowDown');
      const id = await page.$eval('#term', (e) => e.getAttribute('aria-activedescendant') || '');
      pick = await page.$eval(`#${id}`, (e) => e.textContent.trim());
    }
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => !document.querySelector('#grade option[value="3"]'));
    assert.deepEqual(await page.$$eval('#grade option', (os) => os.map((o) => o.value).filter((v) => v)), ['1', '2']);
    await page.click('#term', { clickCount: 3 });
    await page.keyboard.press('Backspace');
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

  await step('site: its subjects, a subject, the event and follow-up forms', async () => {
    const { ctx, page } = await signIn(browser, base, 'demo-site-s01');
    await page.goto(`${base}${S}/subjects`);
    assert.ok((await page.content()).includes(SUBJECT));
    await visit(page, 'site-subjects');
    await page.goto(`${base}${S}/subjects/${SUBJECT}`);
    assert.ok(await page.$('svg[role=img]'), 'the timeline');
    await visit(page, 'site-subject');
    await page.goto(`${base}${S}/subjects/${SUBJECT}/events/new`);
    assert.ok(await page.$('#kind'), 'the kind chooser');
    await visit(page, 'site-event-form');
    await page.goto(`${base}${caseUrl}/follow-up`);
    assert.ok(await page.$('#followup_id'));
    await visit(page, 'site-follow-up');
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
    const rows = await page.$$eval('#inbox tbody tr', (trs) => trs.map((tr) => tr.textContent));
    assert.ok(rows.length >= 2, `the inbox has the earlier case too (${rows.length} rows)`);
    assert.match(rows[0], /P1/);
    assert.match(rows[0], new RegExp(SUBJECT), rows.join("\n"));
    assert.ok(rows.slice(1).some((r) => r.includes(OTHER)), 'the earlier, lesser case is below');
    const link = await page.$(`#inbox tbody tr:first-child a[href="${caseUrl}"]`);
    assert.ok(link, 'the first row links to the case');
    await Promise.all([page.waitForNavigation(), link.click()]);
    assert.equal(new URL(page.url()).pathname, caseUrl);
    for (const id of ['coding', 'classification', 'versions', 'clocks', 'alerts']) {
      assert.ok(await page.$(`h2#${id}`), `case section ${id}`);
    }
    // A fatal serious case: its ICSR and CIOMS I form are built, and the link serves E2B XML.
    const icsr = await page.$eval('#icsr-link', (a) => a.getAttribute('href'));
    assert.equal(icsr, `${caseUrl}/icsr.xml`);
    assert.ok(await page.$('#cioms-link'));
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
    // The print view: no navigation, no sign-out form, nothing wider than the paper.
    await printable(page, 'officer-case');
    await page.goto(`${base}/desk/inbox`);
    await printable(page, 'officer-inbox');
    await page.goto(`${base}${S}`);
    await visit(page, 'officer-study');
    await printable(page, 'officer-study');
    await page.goto(`${base}${S}/subjects/${SUBJECT}`);
    assert.ok(await page.$('svg[role=img]'), 'the timeline');
    await visit(page, 'officer-subject');
    await printable(page, 'officer-subject');
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
    const listed = await page.$eval('main table tbody tr', (tr) => tr.querySelector('code').textContent.trim());
    assert.match(listed, /^[0-9a-f]{64}$/);
    const [opened] = await Promise.all([page.waitForNavigation(), link.click()]);
    assert.equal(opened.status(), 200);
    assert.match(page.url(), /\/desk\/dsmb\/hcc-pvtt-imrt\/reports\/\d+$/);
    assert.equal(opened.headers()['x-report-sha256'], listed, 'the report opened is the one listed');
    const reports = await api(base, 'demo-dsmb', 'GET', `/v1/studies/${STUDY}/dsmb-reports`);
    assert.equal(reports.status, 200, reports.text);
    assert.ok(reports.json.items.some((r) => r.sha256 === listed), 'the API lists the same SHA-256');
    assert.match(await page.title(), /DSMB/);
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
    const forged = await page.waitForNavigation();
    assert.equal(forged.status(), 403);
    assert.match(await page.content(), /did not come from the desk/);
    assert.equal(await statusOf(page, base, '/desk/studies'), 200, 'still signed in');
    await ctx.close();
  });
}
