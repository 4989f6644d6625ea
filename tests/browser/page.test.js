// page.test.js: what people expect of a web chat, on the real page in
// Debian's chromium against a real lobbyd started with --max-line 300: an
// overlong line is kept with an error and the socket stays open; a
// reconnect shows each history line once; /quit stays out and offers
// Rejoin; mentions are marked and the title counts unread while the page
// is hidden; Tab keeps the focus and cycles; links are safe; /msg to
// nobody shows failed; live lines have time stamps; every text reads at
// 4.5:1 or more, light and dark; the status is quiet for screen readers.
// Four screenshots (1280x800, 390x844, light and dark) go to OUTDIR.
"use strict";

const path = require("node:path");
const fs = require("node:fs");
const { chromium } = require("playwright-core");
const { fail, until, sleep, startLobbyd, stopLobbyd, tcpMember, shown,
    expectShown, contrastCheck, launch, keepSockets, watch, phonePage,
    runTest } =
    require("./lib.js");

const LOBBYD = process.env.LOBBYD;
const OUT = process.env.OUTDIR || ".";
const MAX_LINE = 300;

let server = null, browser = null, page = null;
let checks = 0;

function ok(cond, msg) {
	checks++;
	if (!cond) fail(msg);
}

// Count the log lines whose text ends with suffix.
async function countShown(p, suffix) {
	return (await shown(p)).filter((t) => t.endsWith(suffix)).length;
}

// Pretend the tab is in the background (or back), as a browser does.
function setHidden(p, hidden) {
	return p.evaluate((h) => {
		Object.defineProperty(document, "hidden", { value: h, configurable: true });
		Object.defineProperty(document, "visibilityState",
		    { value: h ? "hidden" : "visible", configurable: true });
		document.hasFocus = () => !h;
		document.dispatchEvent(new Event("visibilitychange"));
	}, hidden);
}

async function main() {
	if (!LOBBYD) fail("LOBBYD is not set");
	fs.mkdirSync(OUT, { recursive: true });
	server = await startLobbyd(LOBBYD, ["--max-line", String(MAX_LINE), "--history", "50"]);
	const url = "http://127.0.0.1:" + server.web + "/";
	browser = await launch(chromium);
	const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
	await keepSockets(context);
	page = await context.newPage();
	const w = watch(page);
	const problems = w.problems;

	const bob = await tcpMember(server.tcp);
	await bob.expect("*** welcome to lobby, you are guest1 (1 online; /help for commands)");
	bob.send("/nick bob");
	await bob.expect("*** guest1 is now bob");
	bob.send("good morning");
	bob.send("/me brings coffee");
	bob.send("the agenda is at https://example.com/agenda?day=1.");
	await page.goto(url);
	await until("the page to connect", async () =>
	    /^connected as guest\d$/.test(await page.textContent("#status")));
	await page.fill("#input", "/nick alice");
	await page.keyboard.press("Enter");
	await until("bob to see alice", () => bob.lines.some((l) => /^\*\*\* guest\d is now alice$/.test(l)));
	await until("alice", async () => (await page.textContent("#status")) === "connected as alice");
	// The page joined after three lines: its history block holds them.
	ok(await countShown(page, "<bob> good morning") === 1, "history line not shown once");

	// ---- 1. An overlong line: kept, an error, the socket open.
	const long = "\u00e9".repeat(151);	// 151 characters, 302 bytes
	await page.fill("#input", long);
	await page.keyboard.press("Enter");
	await until("the error under the input", async () => !(await page.isHidden("#inputerr")));
	const err = await page.textContent("#inputerr");
	ok(/302 bytes/.test(err) && /300/.test(err), "the error does not say the sizes: " + err);
	ok(await page.inputValue("#input") === long, "the overlong line left the input");
	ok(await page.getAttribute("#input", "aria-invalid") === "true", "the input is not marked invalid");
	ok(await page.evaluate(() => document.activeElement.id) === "input", "the input lost the focus");
	await sleep(300);
	ok(await page.evaluate(() => window.__sockets.filter((s) => s.readyState === 1).length) === 1,
	    "the socket did not stay open");
	ok(!bob.lines.some((l) => /alice left/.test(l)), "alice left over an overlong line");
	ok(!(await shown(page)).some((t) => t.endsWith(long)), "the overlong line was shown as sent");
	// Exactly the limit (in bytes, not characters) goes through.
	const fits = "\u00e9".repeat(150);
	await page.keyboard.press("Backspace");
	await until("the error to clear", async () => await page.isHidden("#inputerr"));
	ok(await page.inputValue("#input") === fits, "Backspace did not leave 150 characters");
	await page.keyboard.press("Enter");
	await bob.expect("<alice> " + fits);
	ok(await page.inputValue("#input") === "", "a line at the limit was not sent");

	// ---- 6. Links: http and https only, safe attributes.
	bob.send("docs: http://example.org/x_(y) and javascript:alert(1) and " +
	    "JAVASCRIPT:alert(2)//http://z and <a href=\"javascript:alert(3)\">x</a> ftp://f.example/");
	await expectShown(page, /ftp:\/\/f\.example\/$/);
	const links = await page.$$eval("#log a", (as) => as.map((a) => ({
		href: a.getAttribute("href"), rel: a.rel, target: a.target, text: a.textContent })));
	ok(links.length === 3, "expected 3 links, got " + JSON.stringify(links));
	for (const l of links) {
		ok(/^https?:\/\//.test(l.href), "a link to " + l.href);
		ok(l.rel === "noopener noreferrer", "rel " + l.rel);
		ok(l.target === "_blank", "target " + l.target);
	}
	ok(links.some((l) => l.href === "https://example.com/agenda?day=1"),
	    "the agenda link (a history line; the full stop left out): " + JSON.stringify(links));
	ok(links.some((l) => l.href === "http://example.org/x_(y)"), "the parenthesised link");
	ok(links.some((l) => l.href === "http://z/"), "the link inside the javascript: text");
	ok(!(await page.$("#log a[href^='javascript' i]")), "javascript: became a link");

	// ---- 5. Tab: focus stays, matches cycle.
	const alex = await tcpMember(server.tcp);
	await alex.expect("*** welcome to lobby, you are guest1 (3 online; /help for commands)");
	alex.send("/nick alex");
	const alina = await tcpMember(server.tcp);
	await alina.expect("*** welcome to lobby, you are guest1 (4 online; /help for commands)");
	alina.send("/nick alina");
	await until("alex and alina listed", async () =>
	    (await page.$$eval("#online li", (l) => l.map((x) => x.textContent)))
	    .join(",") === "bob,alice,alex,alina");
	await page.focus("#input");
	await page.keyboard.type("al");
	await page.keyboard.press("Tab");
	ok(await page.evaluate(() => document.activeElement.id) === "input", "Tab moved the focus");
	ok(await page.inputValue("#input") === "alex: ", "first Tab: " + await page.inputValue("#input"));
	await page.keyboard.press("Tab");
	ok(await page.inputValue("#input") === "alina: ", "second Tab: " + await page.inputValue("#input"));
	await page.keyboard.press("Tab");
	ok(await page.inputValue("#input") === "alex: ", "third Tab wraps: " + await page.inputValue("#input"));
	await page.keyboard.press("Shift+Tab");
	ok(await page.inputValue("#input") === "alina: ", "Shift+Tab goes back");
	await page.keyboard.type("see bo");
	await page.keyboard.press("Tab");
	ok(await page.inputValue("#input") === "alina: see bob ", "mid-line Tab: " + await page.inputValue("#input"));
	await page.fill("#input", "zz");
	await page.keyboard.press("Tab");
	ok(await page.evaluate(() => document.activeElement.id) === "input", "Tab on no match moved the focus");
	ok(await page.inputValue("#input") === "zz", "Tab on no match changed the line");
	await page.keyboard.press("Escape");
	// Similar nicks, distinct colours.
	const colours = await page.$$eval("#online .nick", (ns) =>
	    Object.fromEntries(ns.map((n) => [n.textContent, getComputedStyle(n).color])));
	const rgb = (c) => c.match(/\d+/g).slice(0, 3).map(Number);
	const dist = (a, b) => Math.hypot(...rgb(a).map((v, i) => v - rgb(b)[i]));
	ok(dist(colours.alice, colours.alex) > 60, "alice and alex look alike: " +
	    colours.alice + " " + colours.alex);
	ok(dist(colours.alex, colours.alina) > 60, "alex and alina look alike");

	// ---- 7. /msg: pending, then delivered or failed, never both.
	await page.evaluate(() => {
		window.__pmStates = [];
		new MutationObserver((ms) => {
			for (const m of ms)
				if (m.target.classList && m.target.classList.contains("pm"))
					window.__pmStates.push(m.target.className);
		}).observe(document.getElementById("log"),
		    { subtree: true, attributes: true, attributeFilter: ["class"] });
	});
	await page.fill("#input", "/msg nobody hi");
	await page.keyboard.press("Enter");
	await until("the failed /msg", async () => await page.$("#log li.pm.failed") !== null);
	await expectShown(page, /!!! no such user: nobody$/);
	const failedText = await page.textContent("#log li.pm.failed");
	ok(/\(not delivered\)$/.test(failedText), "failed /msg reads: " + failedText);
	ok(!(await page.evaluate(() => window.__pmStates.some((c) => /delivered/.test(c) && !/failed/.test(c)))),
	    "the /msg to nobody was shown as delivered");
	// A password is masked while typed, never shown, never kept for Up.
	await page.fill("#input", "/login alice sesame-open-42");
	ok(await page.getAttribute("#input", "type") === "password",
	    "a /login line is not masked");
	await page.keyboard.press("Enter");
	await expectShown(page, /!!! accounts are off on this server$/);
	ok(await page.inputValue("#input") === "", "the /login line stayed in the input");
	ok(await page.getAttribute("#input", "type") !== "password", "the input stayed masked");
	ok(!(await shown(page)).some((t) => /sesame/.test(t)), "the password was shown");
	await page.keyboard.press("ArrowUp");
	ok(!/sesame/.test(await page.inputValue("#input")), "Up brought the password back");
	await page.keyboard.press("Escape");
	await page.fill("#input", "/msg bob lunch?");
	await page.keyboard.press("Enter");
	await bob.expect("[pm] <alice> lunch?");
	await until("the delivered /msg", async () => await page.$("#log li.pm.delivered") !== null);
	ok(/\(delivered\)$/.test(await page.textContent("#log li.pm.delivered")), "delivered /msg text");
	ok(!(await shown(page)).some((t) => /\*\*\* \d+ online:/.test(t)),
	    "the page showed the /who it asked itself");

	// ---- 4. Mentions, unread in the title, the marker.
	await setHidden(page, true);
	bob.send("alice: are you around?");
	bob.send("malice aforethought is not a mention");
	alex.send("/me waves at ALICE");
	await expectShown(page, /\* alex waves at ALICE$/);
	ok(await page.title() === "(3!) lobby", "title while hidden: " + await page.title());
	const marked = await page.$$eval("#log li.mention", (l) => l.map((x) => x.textContent));
	ok(marked.length === 2 && /are you around/.test(marked[0]) && /waves at ALICE/.test(marked[1]),
	    "mentions marked: " + JSON.stringify(marked));
	const next = await page.$eval("#log li.marker", (m) => m.nextElementSibling.textContent);
	ok(/are you around/.test(next), "the new-messages marker is before " + next);
	await setHidden(page, false);
	await until("the title back", async () => (await page.title()) === "lobby");

	// Scrolled up: new lines bring the jump button, which brings them.
	for (let i = 0; i < 40; i++) bob.send("filler line " + i);
	await expectShown(page, /filler line 39$/);
	ok(await page.isHidden("#jump"), "the jump button shows at the bottom");
	// The log follows new lines at the next frame: then the reader scrolls up.
	await until("the log at its bottom", async () =>
	    await page.$eval("#log", (l) => l.scrollHeight - l.scrollTop - l.clientHeight < 2));
	await page.$eval("#log", (l) => { l.scrollTop = 0; });
	await sleep(100);
	bob.send("while you were reading");
	await expectShown(page, /while you were reading$/);
	await until("the jump button", async () => !(await page.isHidden("#jump")));
	await page.click("#jump");
	ok(await page.$eval("#log", (l) => l.scrollHeight - l.scrollTop - l.clientHeight < 2),
	    "the jump button did not bring the latest");
	ok(await page.evaluate(() => document.activeElement.id) === "input", "focus after jump");
	// At the bottom, a layout change keeps the log there.
	await page.setViewportSize({ width: 1280, height: 500 });
	await sleep(200);
	ok(await page.$eval("#log", (l) => l.scrollHeight - l.scrollTop - l.clientHeight < 2),
	    "a resize left the log above its bottom");
	await page.setViewportSize({ width: 1280, height: 800 });

	// ---- 9. Live lines have a time stamp, as history lines do.
	const stamps = await page.$$eval("#log li:not(.marker)", (lis) =>
	    lis.map((li) => (li.querySelector("time") || {}).textContent || ""));
	ok(stamps.length > 40 && stamps.every((s) => /^(\d{4}-\d\d-\d\d )?\d\d:\d\d$/.test(s)),
	    "a line without a time stamp: " + JSON.stringify(stamps.filter((s) => !/\d\d:\d\d$/.test(s))));

	// ---- 2. A reconnect shows each history line once, our own last
	// line too when lobbyd cleaned it (a bidi override, a line
	// separator and a C1 control taken out): the page shows and
	// remembers it as the others and the history have it.
	await page.fill("#input", "pasted \u202eright\u2028to\u0085left");
	await page.keyboard.press("Enter");
	await bob.expect("<alice> pasted righttoleft");
	await expectShown(page, /<alice> pasted righttoleft$/);
	ok(!(await shown(page)).some((t) => /[\u202e\u2028\u0085]/.test(t)),
	    "the page's echo kept what lobbyd removes");
	w.dropping = true;
	const before = await countShown(page, "<bob> good morning");
	await page.evaluate(() => window.__sockets[window.__sockets.length - 1].close());
	await until("the page back as alice", async () =>
	    (await page.textContent("#status")) === "connected as alice" &&
	    (await page.evaluate(() => window.__sockets.length)) === 2, 15000);
	await expectShown(page, /\*\*\* guest\d is now alice$/);
	await sleep(300);
	for (const l of ["<bob> good morning", "* bob brings coffee", "<bob> alice: are you around?",
	    "<bob> filler line 39", "<alice> " + fits, "<alice> pasted righttoleft"])
		ok(await countShown(page, l) === before, JSON.stringify(l) + " shown " +
		    await countShown(page, l) + " times after a reconnect");
	ok(!(await shown(page)).some((t) => /you had not seen/.test(t)),
	    "a reconnect with nothing new replayed history");
	// A line sent while the page was away shows once, after a second drop.
	await page.evaluate(() => {
		window.__hold = true;
		window.__sockets[window.__sockets.length - 1].close();
	});
	await until("the page to see the drop", async () =>
	    (await page.getAttribute("#status", "data-state")) !== "open");
	bob.send("said while alice was away");
	await until("the page back again", async () =>
	    (await page.textContent("#status")) === "connected as alice" &&
	    (await page.evaluate(() => window.__sockets.length)) === 3, 15000);
	await expectShown(page, /said while alice was away$/);
	await sleep(300);
	ok(await countShown(page, "said while alice was away") === 1, "the missed line twice");
	ok(await countShown(page, "<bob> good morning") === 1, "history twice after two drops");
	// Replayed history never reaches the screen reader's live region.
	const heard = await page.$$eval("#heard p", (ps) => ps.map((p) => p.textContent));
	ok(!heard.some((t) => /good morning|filler/.test(t)), "history announced: " + JSON.stringify(heard));
	ok(await page.getAttribute("#log", "aria-live") === "off", "the log is a live region");
	ok(await page.getAttribute("#status", "role") === null, "the visible status is a live region");
	w.dropping = false;

	// ---- 3. /quit stays out and offers Rejoin.
	await page.fill("#input", "/quit lunch");
	await page.keyboard.press("Enter");
	await bob.expect("*** alice left (lunch)");
	const atQuit = bob.lines.length;
	await until("the page to know it left", async () =>
	    (await page.getAttribute("#status", "data-state")) === "closed");
	await sleep(3000);
	ok(await page.getAttribute("#status", "data-state") === "closed", "the page came back after /quit");
	ok(!bob.lines.slice(atQuit).some((l) => / joined$/.test(l)), "someone joined after /quit");
	ok(await page.evaluate(() => window.__sockets.length) === 3, "a new socket after /quit");
	ok(await page.textContent("#reconnect") === "Rejoin", "no Rejoin button");
	ok(await page.isVisible("#reconnect"), "the Rejoin button is hidden");
	ok(/you left/.test(await page.textContent("#said")), "screen readers not told: " +
	    await page.textContent("#said"));
	await page.click("#reconnect");
	await until("the page to rejoin as alice", async () =>
	    (await page.textContent("#status")) === "connected as alice");
	await until("bob to see alice back", () =>
	    /^\*\*\* guest\d is now alice$/.test(bob.lines[bob.lines.length - 1]));
	ok(await countShown(page, "<bob> good morning") === 1, "history twice after Rejoin");

	// The screenshots: a conversation with a mention, a link, /msg both
	// ways, history.
	bob.send("alice: the slides are at https://example.com/slides and the room is B2");
	alex.send("/me is on the way");
	await page.fill("#input", "/msg bob bring the adapter please");
	await page.keyboard.press("Enter");
	await bob.expect("[pm] <alice> bring the adapter please");
	await page.fill("#input", "/msg bobby are you coming?");
	await page.keyboard.press("Enter");
	await expectShown(page, /!!! no such user: bobby$/);
	await page.fill("#input", "thanks bob, see you there");
	await page.keyboard.press("Enter");
	await bob.expect("<alice> thanks bob, see you there");
	await expectShown(page, /alex is on the way$/);
	const shots = [];
	await contrastCheck(page, "light", ok);
	await page.screenshot({ path: path.join(OUT, "page-1280x800-light.png") });
	shots.push("page-1280x800-light.png");
	await page.emulateMedia({ colorScheme: "dark" });
	await contrastCheck(page, "dark", ok);
	await page.screenshot({ path: path.join(OUT, "page-1280x800-dark.png") });
	shots.push("page-1280x800-dark.png");

	// A phone.
	const { page: p2 } = await phonePage(browser, url, problems);
	await p2.fill("#input", "/nick carol");
	await p2.keyboard.press("Enter");
	await until("bob to see carol", () => bob.lines.some((l) => /^\*\*\* guest\d is now carol$/.test(l)));
	bob.send("carol: welcome! notes: https://example.com/notes");
	await expectShown(p2, /carol: welcome!/);
	const phoneStamps = await p2.$$eval("#log li time", (ts) =>
	    ts.filter((t) => getComputedStyle(t).display !== "none").length);
	const phoneLines = await p2.$$eval("#log li:not(.marker)", (l) => l.length);
	ok(phoneStamps === phoneLines, "on a phone " + (phoneLines - phoneStamps) + " lines lack a stamp");
	ok(await p2.evaluate(() => document.documentElement.scrollWidth) <= 390, "the phone page is too wide");
	// Opening the people list shrinks the log: it stays at its bottom.
	const bottom = () => p2.$eval("#log", (l) => l.scrollHeight - l.scrollTop - l.clientHeight < 2);
	// (The log follows new lines at the next frame.)
	await until("the phone log at its bottom", bottom);
	await p2.click("#people summary");
	await until("the list open", async () => await p2.$eval("#people", (d) => d.open));
	await sleep(200);
	ok(await bottom(), "opening the people list left the log above its bottom");
	await p2.click("#people summary");
	await until("the list folded", async () => !(await p2.$eval("#people", (d) => d.open)));
	await sleep(200);
	await contrastCheck(p2, "phone light", ok);
	await p2.screenshot({ path: path.join(OUT, "page-390x844-light.png") });
	shots.push("page-390x844-light.png");
	await p2.emulateMedia({ colorScheme: "dark" });
	await contrastCheck(p2, "phone dark", ok);
	await p2.screenshot({ path: path.join(OUT, "page-390x844-dark.png") });
	shots.push("page-390x844-dark.png");

	// Down: the screen reader's status says so once, no countdown.
	const code = await stopLobbyd(server);
	ok(code === 0, "lobbyd exited " + code);
	w.dropping = true;
	await until("the phone page to see the drop", async () =>
	    /retrying in/.test(await p2.textContent("#status")));
	const saidNow = await p2.textContent("#said");
	const seenSaid = new Set();
	for (let i = 0; i < 12; i++) {
		seenSaid.add(await p2.textContent("#said"));
		await sleep(250);
	}
	ok(seenSaid.size === 1 && !/\d/.test(saidNow), "the live status changes: " + [...seenSaid]);

	const real = problems.filter((p) => !/WebSocket connection to .* failed/.test(p));
	ok(real.length === 0, "the console reported:\n  " + real.join("\n  "));
	console.log("page test passed: " + checks + " checks; screenshots in " + OUT + ": " + shots.join(" "));
}

runTest(main, () => ({ browser, server, page }));
