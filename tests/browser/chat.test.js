// chat.test.js: the chat page in Debian's chromium, headless, against a
// real lobbyd: joining, chatting both ways with a TCP member, /nick,
// history keys, text never taken as HTML, surviving a restart of lobbyd,
// and screenshots at a phone's and a desktop's size.
"use strict";

const path = require("node:path");
const fs = require("node:fs");
const { chromium } = require("playwright-core");
const { fail, until, startLobbyd, stopLobbyd, tcpMember, shown,
    expectShown, launch, watch, phonePage,
    runTest } = require("./lib.js");

const LOBBYD = process.env.LOBBYD;
const OUT = process.env.OUTDIR || ".";

let server = null;	// the lobbyd child we started
let browser = null;
let page = null;	// the desktop page, for the log on failure

async function main() {
	if (!LOBBYD) fail("LOBBYD is not set");
	fs.mkdirSync(OUT, { recursive: true });
	server = await startLobbyd(LOBBYD);
	const ports = { tcp: server.tcp, web: server.web };
	const url = "http://127.0.0.1:" + ports.web + "/";

	browser = await launch(chromium);
	const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
	page = await context.newPage();
	const w = watch(page);	// while w.dropping, refused connections are expected
	const problems = w.problems;
	page.on("requestfailed", (r) => problems.push("request failed: " + r.url()));
	page.on("response", (r) => {
		if (r.status() >= 400) problems.push("HTTP " + r.status() + ": " + r.url());
	});

	// A TCP member is there first; the page joins as guest2.
	let tcp = await tcpMember(ports.tcp);
	await tcp.expect("*** welcome to lobby, you are guest1 (1 online; /help for commands)");
	await page.goto(url);
	await until("the page to connect", async () =>
	    (await page.textContent("#status")) === "connected as guest2");
	await tcp.expect("*** guest2 joined");
	await until("the online list", async () =>
	    (await page.$$eval("#online li", (l) => l.map((x) => x.textContent)))
	    .join(",") === "guest1,guest2");
	// The input has the focus and an accessible name.
	if (await page.evaluate(() => document.activeElement.id) !== "input")
		fail("the input line does not have the focus");
	if (!(await page.$("label[for=input]")))
		fail("the input line has no label");

	// A line from the TCP member shows; one typed goes to it.
	tcp.send("hello from the terminal");
	await expectShown(page, /^\d\d:\d\d<guest1> hello from the terminal$/);
	await page.keyboard.type("hello from the browser");
	await page.keyboard.press("Enter");
	await tcp.expect("<guest2> hello from the browser");
	await expectShown(page, /<guest2> hello from the browser$/);

	// Text is text: markup a peer sends is shown, never run or parsed.
	tcp.send("<img src=x onerror=\"document.title='owned'\"> <b>bold</b>");
	await expectShown(page, /<guest1> <img src=x onerror="document.title='owned'"> <b>bold<\/b>$/);
	if (await page.$("#log img, #log b")) fail("markup from a peer became elements");
	// (The title may count unread lines; it must not be the markup's.)
	if (/owned/.test(await page.title())) fail("a peer's markup ran");

	// /nick: the notice everywhere, the status and the list follow.
	await page.keyboard.type("/nick alice");
	await page.keyboard.press("Enter");
	await tcp.expect("*** guest2 is now alice");
	await until("the status to say alice", async () =>
	    (await page.textContent("#status")) === "connected as alice");
	await until("alice in the list", async () =>
	    (await page.$$eval("#online li", (l) => l.map((x) => x.textContent)))
	    .join(",") === "guest1,alice");
	tcp.send("/me waves");
	await expectShown(page, /\* guest1 waves$/);
	tcp.send("/msg alice psst");
	await expectShown(page, /\[pm\] <guest1> psst$/);

	// Up and Down walk the lines sent; Escape clears.
	await page.keyboard.press("ArrowUp");
	if (await page.inputValue("#input") !== "/nick alice") fail("Up did not recall /nick alice");
	await page.keyboard.press("ArrowUp");
	if (await page.inputValue("#input") !== "hello from the browser") fail("Up twice");
	await page.keyboard.press("ArrowDown");
	await page.keyboard.press("ArrowDown");
	if (await page.inputValue("#input") !== "") fail("Down back to the empty draft");
	// Tab completes a nick from the online list.
	await page.keyboard.type("gue");
	await page.keyboard.press("Tab");
	if (await page.inputValue("#input") !== "guest1: ") fail("Tab did not complete guest1");
	await page.keyboard.press("Escape");

	// Errors are styled apart from notices.
	await page.keyboard.type("/nick guest1");
	await page.keyboard.press("Enter");
	await until("the error line", async () =>
	    (await page.$$eval("#log li.error", (l) => l.map((x) => x.textContent)))
	    .some((t) => t.endsWith("!!! nick guest1 is taken")));
	if (!(await page.$("#log li.notice"))) fail("notices are not styled as such");

	// A few more lines, so the screenshots show a conversation.
	tcp.send("/nick bob");
	await expectShown(page, /\*\*\* guest1 is now bob$/);
	tcp.send("anyone up for lunch? the new place on 5th does a great ramen 🍜");
	await page.keyboard.type("/me is in, give me ten minutes");
	await page.keyboard.press("Enter");
	await tcp.expect("* alice is in, give me ten minutes");
	await page.keyboard.type("caf\u00e9 \u00e0 c\u00f4t\u00e9 works too, if it is raining");
	await page.keyboard.press("Enter");
	await tcp.expect("<alice> caf\u00e9 \u00e0 c\u00f4t\u00e9 works too, if it is raining");
	await page.screenshot({ path: path.join(OUT, "browser-desktop.png") });

	// lobbyd restarts: the page says so, then comes back by itself, with
	// its nick.
	w.dropping = true;
	const code = await stopLobbyd(server);
	if (code !== 0) fail("lobbyd exited " + code + " at SIGTERM");
	await expectShown(page, /^\d\d:\d\d\*\*\* server shutting down$/);
	await until("the page to see the disconnect", async () =>
	    (await page.getAttribute("#status", "data-state")) === "closed");
	const down = await page.textContent("#status");
	if (!/retrying in \d+ s/.test(down)) fail("status while down: " + down);
	await page.screenshot({ path: path.join(OUT, "browser-disconnected.png") });
	server = await startLobbyd(LOBBYD, [], ports);
	// The page is alone in the new lobbyd: it joins as guest1 and takes
	// alice back. The TCP member connects only once the page shows alice
	// (the server's rename notice), so the names are not a race.
	await until("the page to reconnect as alice", async () =>
	    (await page.textContent("#status")) === "connected as alice", 20000);
	await expectShown(page, /^\d\d:\d\d\*\*\* guest1 is now alice$/);
	w.dropping = false;
	tcp = await tcpMember(ports.tcp);
	await tcp.expect("*** welcome to lobby, you are guest1 (2 online; /help for commands)");
	await expectShown(page, /^\d\d:\d\d\*\*\* guest1 joined$/);
	tcp.send("/who");
	await tcp.expect("*** 2 online: alice guest1");
	await until("the online list after the restart", async () =>
	    (await page.$$eval("#online li", (l) => l.map((x) => x.textContent)))
	    .join(",") === "alice,guest1");
	tcp.send("welcome back");
	await expectShown(page, /<guest1> welcome back$/);
	await page.fill("#input", "glad to be back");
	await page.keyboard.press("Enter");
	await tcp.expect("<alice> glad to be back");

	// The phone-sized view: a second page in a narrow context.
	const { page: p2 } = await phonePage(browser, url, problems);
	tcp.send("/nick bob");
	tcp.send("lunch at noon then, see you both there");
	await expectShown(p2, /<bob> lunch at noon then/);
	await p2.fill("#input", "on my way \u{1F44D}");
	await p2.keyboard.press("Enter");
	await expectShown(page, /on my way/);
	// Nothing may stick out sideways on a phone.
	const wide = await p2.evaluate(() => document.documentElement.scrollWidth);
	if (wide > 390) fail("the phone page is " + wide + " px wide");
	await p2.screenshot({ path: path.join(OUT, "browser-phone.png") });
	// The same in the dark, as a phone set so shows it.
	await p2.emulateMedia({ colorScheme: "dark" });
	await p2.screenshot({ path: path.join(OUT, "browser-phone-dark.png") });
	await page.screenshot({ path: path.join(OUT, "browser-desktop-after-restart.png") });

	if (problems.length) fail("the console reported:\n  " + problems.join("\n  "));
	console.log("browser test passed; screenshots in " + OUT);
}

runTest(main, () => ({ browser, server, page }), { after: async () => {
	const code = await stopLobbyd(server);
	if (code !== 0) console.error("FAIL: lobbyd exited " + code + " at SIGTERM");
	return code === 0;
} });
