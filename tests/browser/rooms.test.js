// rooms.test.js: the page's rooms, in Debian's chromium against a real
// lobbyd: the list shows the rooms; switching clears the log to the new
// room's history, each line once, and puts the room and its topic in the
// header; a line sent lands in that room only; the list is reachable and
// walked by keyboard; rooms made and emptied where the page hears
// nothing show once it comes to the list; Tab completes room names after
// /join; a reconnect goes back to the room, or stays when it has become
// the landing room.
// Screenshots with rooms (1280x800 and 390x844, light and dark) go to
// OUTDIR as rooms-*.png.
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

let server = null, browser = null, page = null;
let checks = 0;

function ok(cond, msg) {
	checks++;
	if (!cond) fail(msg);
}

// How many log lines end with suffix.
async function count(p, suffix) {
	return (await shown(p)).filter((t) => t.endsWith(suffix)).length;
}

// The rooms of the list, as "name n".
function listed(p) {
	return p.$$eval("#rooms button", (bs) => bs.map((b) =>
	    b.dataset.room + " " + b.querySelector(".n").textContent +
	    (b.getAttribute("aria-current") === "true" ? " *" : "")));
}

function focused(p) {
	return p.evaluate(() => {
		const a = document.activeElement;
		return a.dataset && a.dataset.room ? "room:" + a.dataset.room : a.id || a.tagName;
	});
}

// A member that has joined under nick, in room (made if need be).
async function member(nick, room) {
	const m = await tcpMember(server.tcp);
	await until(nick + "'s welcome", () => m.lines.some((l) => l.startsWith("*** welcome")));
	m.send("/nick " + nick);
	await until(nick + "'s nick", () => m.lines.some((l) => l.endsWith(" is now " + nick)));
	if (room) {
		m.send("/join " + room);
		await until(nick + " in " + room, () =>
		    m.lines.some((l) => l.startsWith("*** you are now in " + room + " (")));
	}
	return m;
}

// Nothing after mark reached m, up to the answer of a /who of its own.
async function nothingSince(m, mark) {
	const at = m.lines.length;
	m.send("/who");
	await until("the /who barrier", () => m.lines.slice(at).some((l) => / online:/.test(l)));
	const got = m.lines.slice(mark, m.lines.length).filter((l) => !/ online:/.test(l));
	ok(got.length === 0, "unexpected lines: " + JSON.stringify(got));
}

async function main() {
	if (!LOBBYD) fail("LOBBYD is not set");
	fs.mkdirSync(OUT, { recursive: true });
	server = await startLobbyd(LOBBYD, ["--history", "50"]);
	const url = "http://127.0.0.1:" + server.web + "/";

	// Three rooms with history, one with a topic, before the page comes.
	const carol = await member("carol");
	carol.send("lobby chatter before");
	const bob = await member("bob", "dev");
	bob.send("/topic release on friday");
	await bob.expect("*** bob set the topic: release on friday");
	bob.send("tests pass on main");
	bob.send("/me ships it");
	const dana = await member("dana", "design-review");
	dana.send("mockups are up: https://example.com/mockups");
	await nothingSince(dana, dana.lines.length);

	browser = await launch(chromium);
	const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
	await keepSockets(context);
	page = await context.newPage();
	const w = watch(page);
	const problems = w.problems;
	await page.goto(url);
	await until("the page to connect", async () =>
	    /^connected as guest\d$/.test(await page.textContent("#status")));
	await page.fill("#input", "/nick alice");
	await page.keyboard.press("Enter");
	await carol.expect("*** guest1 is now alice");

	// ---- The list: every room, in the server's order, counted; the
	// landing room is ours, in the header, without a topic known.
	await until("the rooms listed", async () => (await listed(page)).length === 3);
	ok((await listed(page)).join(",") === "lobby 2 *,dev 1,design-review 1",
	    "the list: " + (await listed(page)).join(","));
	ok(await page.textContent("#room") === "lobby", "the header's room: " +
	    await page.textContent("#room"));
	ok(await count(page, "<carol> lobby chatter before") === 1, "the lobby's history");
	ok(!(await shown(page)).some((t) => /\d+ rooms?:/.test(t)), "the page showed its own /rooms");

	// ---- Switching by a click: the log is the new room's, its history
	// once, the topic in the header; the others see the move.
	const cm = carol.lines.length;
	await page.click("#rooms button[data-room='dev']");
	await carol.expect("*** alice went to dev");
	await bob.expect("*** alice joined");
	await until("dev in the header", async () => (await page.textContent("#room")) === "dev");
	await until("the topic in the header", async () =>
	    (await page.textContent("#topic")) === "release on friday");
	await expectShown(page, /\* bob ships it$/);
	await sleep(200);
	ok(await count(page, "<bob> tests pass on main") === 1, "dev's history not once");
	ok(await count(page, "<carol> lobby chatter before") === 0, "the lobby's lines stayed");
	ok(await count(page, "*** you are now in dev (2 online)") === 1, "the move's notice");
	ok((await listed(page)).join(",") === "lobby 1,dev 2 *,design-review 1",
	    "the list after the move: " + (await listed(page)).join(","));
	ok(await focused(page) === "input", "the focus after a click: " + await focused(page));
	await until("bob in the people list", async () =>
	    (await page.$$eval("#online li", (l) => l.map((x) => x.textContent))).join(",") ===
	    "bob,alice");
	ok(!(await shown(page)).some((t) => /\d+ online:/.test(t)), "the page showed its own /who");

	// ---- A line sent lands in this room only.
	await page.fill("#input", "hello dev");
	await page.keyboard.press("Enter");
	await bob.expect("<alice> hello dev");
	await nothingSince(carol, cm + 1);
	await nothingSince(dana, dana.lines.length);
	// And the room's lines reach the page, the lobby's do not.
	carol.send("only for the lobby");
	bob.send("only for dev");
	await expectShown(page, /<bob> only for dev$/);
	ok(await count(page, "only for the lobby") === 0, "a lobby line reached dev");
	// A topic set live goes to the header.
	bob.send("/topic release on monday");
	await until("the new topic", async () =>
	    (await page.textContent("#topic")) === "release on monday");

	// ---- Keyboard: Tab reaches the list, arrows walk it, Enter goes.
	await page.focus("#log");
	let reached = false;
	for (let i = 0; i < 6 && !reached; i++) {
		await page.keyboard.press("Tab");
		reached = (await focused(page)).startsWith("room:");
	}
	ok(reached, "Tab never reached the rooms: " + await focused(page));
	// The list is one Tab stop, entered at our room.
	ok(await focused(page) === "room:dev", "the room Tab reaches: " + await focused(page));
	ok(await page.$$eval("#rooms button", (bs) => bs.filter((b) => b.tabIndex >= 0).length) === 1,
	    "the rooms are more than one Tab stop");
	const ring = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
	ok(ring !== "none", "no focus ring on a room");
	await page.keyboard.press("ArrowDown");
	ok(await focused(page) === "room:design-review", "ArrowDown: " + await focused(page));
	await page.keyboard.press("ArrowDown");
	ok(await focused(page) === "room:lobby", "ArrowDown wraps: " + await focused(page));
	await page.keyboard.press("Home");
	ok(await focused(page) === "room:lobby", "Home: " + await focused(page));
	await page.keyboard.press("End");
	ok(await focused(page) === "room:design-review", "End: " + await focused(page));
	// One Tab leaves the list; Shift+Tab comes back to the same room.
	await page.keyboard.press("Tab");
	ok(!(await focused(page)).startsWith("room:"), "one Tab stayed in the list: " + await focused(page));
	await page.keyboard.press("Shift+Tab");
	ok(await focused(page) === "room:design-review", "Shift+Tab back: " + await focused(page));
	await page.keyboard.press("Enter");
	await dana.expect("*** alice joined");
	await until("design-review in the header", async () =>
	    (await page.textContent("#room")) === "design-review");
	await until("no topic in the header", async () => (await page.textContent("#topic")) === "no topic");
	await expectShown(page, /mockups are up: https:\/\/example\.com\/mockups$/);
	ok(await count(page, "hello dev") === 0 && await count(page, "only for dev") === 0,
	    "dev's lines stayed after the switch");
	ok(await count(page, "mockups are up: https://example.com/mockups") === 1, "design-review's history");

	// ---- Back to dev: its history, now with our own line, once.
	await page.click("#rooms button[data-room='dev']");
	await until("dev again", async () => (await page.textContent("#room")) === "dev");
	await expectShown(page, /<bob> only for dev$/);
	await sleep(200);
	for (const l of ["<bob> tests pass on main", "<alice> hello dev", "<bob> only for dev"])
		ok(await count(page, l) === 1, JSON.stringify(l) + " shown " + await count(page, l) + " times");
	ok(await count(page, "mockups are up: https://example.com/mockups") === 0, "design-review's line stayed");

	// ---- Tab after /join completes rooms, ours left out, and cycles.
	await page.focus("#input");
	await page.keyboard.type("/join d");
	await page.keyboard.press("Tab");
	ok(await page.inputValue("#input") === "/join design-review ", "Tab after /join d: " +
	    await page.inputValue("#input"));
	ok(await focused(page) === "input", "Tab moved the focus");
	await page.fill("#input", "/join ");
	await page.keyboard.press("Tab");
	ok(await page.inputValue("#input") === "/join design-review ", "first room: " + await page.inputValue("#input"));
	await page.keyboard.press("Tab");
	ok(await page.inputValue("#input") === "/join lobby ", "second room: " + await page.inputValue("#input"));
	await page.keyboard.press("Shift+Tab");
	ok(await page.inputValue("#input") === "/join design-review ", "Shift+Tab: " + await page.inputValue("#input"));
	// A room made by /join: after the notice the page asks /rooms
	// again, quietly, and the list and Tab have it.
	bob.send("/join ops");
	await expectShown(page, /\*\*\* bob went to ops$/);
	await until("ops in the list", async () =>
	    (await listed(page)).join(",") === "lobby 1,dev 1 *,design-review 1,ops 1", 6000);
	await page.fill("#input", "/join o");
	await page.keyboard.press("Tab");
	ok(await page.inputValue("#input") === "/join ops ", "a room from the list: " + await page.inputValue("#input"));
	bob.send("/join dev");
	await expectShown(page, /\*\*\* bob joined$/);
	await page.keyboard.press("Escape");
	// Comings and goings never make the counts drift ("joined" does not
	// say from where) nor leave rooms that are gone ("went to" names
	// rooms nobody stays in): the list is what /rooms says. Nor do they
	// redraw the whole list: its entries stay, their counts change.
	await until("ops gone from the list", async () =>
	    (await listed(page)).join(",") === "lobby 1,dev 2 *,design-review 1", 6000);
	await page.evaluate(() => {
		window.__kept = [...document.querySelectorAll("#rooms button")];
	});
	for (let i = 0; i < 6; i++) {
		bob.send("/join lobby");
		bob.send("/join dev");
	}
	for (let i = 0; i < 30; i++) {
		bob.send("/join ghost" + i);
		bob.send("/join dev");
	}
	await until("the last ghost", async () => (await count(page, "*** bob went to ghost29")) === 1);
	await until("the list as the server has it", async () =>
	    (await listed(page)).join(",") === "lobby 1,dev 2 *,design-review 1", 8000);
	await sleep(3500);
	ok((await listed(page)).join(",") === "lobby 1,dev 2 *,design-review 1",
	    "the list after the comings and goings: " + (await listed(page)).join(","));
	ok(await page.evaluate(() => window.__kept.length === 3 &&
	    window.__kept.every((b) => b.isConnected)), "the list was redrawn whole");
	ok(!(await shown(page)).some((t) => /\d+ rooms?:/.test(t)), "the page showed its own /rooms");
	// The user's own /rooms shows; ops, empty again, is gone from it
	// and from the list.
	await page.fill("#input", "/rooms");
	await page.keyboard.press("Enter");
	await expectShown(page, /\*\*\* 3 rooms: lobby \(1\) dev \(2\) design-review \(1\)$/);
	ok((await listed(page)).join(",") === "lobby 1,dev 2 *,design-review 1",
	    "the list after /rooms: " + (await listed(page)).join(","));

	// ---- Rooms made and emptied where the page hears nothing: coming
	// to the list (pointer or focus) asks /rooms again, at most every
	// 5 s, and the list has them, or no longer has them.
	await page.mouse.move(0, 0);
	const eve = await member("eve", "ghost");
	await sleep(5100);
	await page.hover("#rooms");
	await until("ghost in the list", async () =>
	    (await listed(page)).join(",") === "lobby 1,dev 2 *,design-review 1,ghost 1", 4000);
	// The focus on ghost as it goes: it stays in the list.
	await page.focus("#input");
	await page.keyboard.press("Shift+Tab");
	await page.keyboard.press("Shift+Tab");
	ok((await focused(page)).startsWith("room:"), "Shift+Tab from the input: " + await focused(page));
	await page.keyboard.press("End");
	ok(await focused(page) === "room:ghost", "End: " + await focused(page));
	await page.mouse.move(0, 0);
	eve.send("/quit");
	await until("eve gone", () => eve.sock.destroyed || eve.sock.readyState === "closed");
	await sleep(5100);
	await page.keyboard.press("ArrowUp");
	await page.keyboard.press("ArrowDown");
	await until("ghost gone from the list", async () =>
	    (await listed(page)).join(",") === "lobby 1,dev 2 *,design-review 1", 4000);
	ok((await focused(page)).startsWith("room:"), "the focus left the list: " + await focused(page));
	ok(!(await shown(page)).some((t) => /\d+ rooms?:/.test(t) && !/3 rooms: lobby \(1\) dev \(2\) design-review \(1\)$/.test(t)),
	    "the page showed its own /rooms");
	await page.focus("#input");

	// ---- A reconnect goes back to dev; its history still once.
	w.dropping = true;
	await page.evaluate(() => window.__sockets[window.__sockets.length - 1].close());
	await until("the page back in dev", async () =>
	    (await page.textContent("#status")) === "connected as alice" &&
	    (await page.evaluate(() => window.__sockets.length)) === 2, 15000);
	await bob.expect("*** alice joined");
	await until("dev in the header", async () => (await page.textContent("#room")) === "dev");
	await sleep(400);
	ok(await count(page, "<bob> tests pass on main") === 1, "dev's history twice after a reconnect");
	ok(await count(page, "<carol> lobby chatter before") === 0, "the lobby's history shown on the way back");
	ok(!(await shown(page)).some((t) => /you are already in/.test(t)), "an error on the way back");
	w.dropping = false;
	await page.fill("#input", "back in dev");
	await page.keyboard.press("Enter");
	await bob.expect("<alice> back in dev");

	// ---- Screenshots: a room with a topic, history, chat, the list.
	bob.send("alice: the release notes are in the wiki");
	bob.send("/me updates the changelog");
	await expectShown(page, /bob updates the changelog$/);
	await page.fill("#input", "/rooms");
	await page.keyboard.press("Enter");
	await expectShown(page, /\*\*\* 3 rooms: /);
	const shots = [];
	const shot = async (p, name) => {
		await p.screenshot({ path: path.join(OUT, name) });
		shots.push(name);
	};
	await contrastCheck(page, "rooms, light", ok);
	await shot(page, "rooms-1280x800-light.png");
	await page.emulateMedia({ colorScheme: "dark" });
	await contrastCheck(page, "rooms, dark", ok);
	await shot(page, "rooms-1280x800-dark.png");

	// A phone: the room and topic under the title, the lists folded.
	const { phone, page: p2 } = await phonePage(browser, url, problems);
	await p2.fill("#input", "/nick erin");
	await p2.keyboard.press("Enter");
	await until("the phone's rooms", async () => (await listed(p2)).length === 3);
	await p2.click("#roomsbox summary");
	await until("the rooms open", async () => await p2.$eval("#roomsbox", (d) => d.open));
	await p2.click("#rooms button[data-room='dev']");
	await until("the phone in dev", async () => (await p2.textContent("#room")) === "dev");
	await until("the phone's topic", async () =>
	    (await p2.textContent("#topic")) === "release on monday");
	// Picking a room folds the list again, by itself.
	ok(!(await p2.$eval("#roomsbox", (d) => d.open)), "the phone's rooms stay open after a pick");
	bob.send("erin: welcome to dev!");
	await expectShown(p2, /erin: welcome to dev!$/);
	ok(await p2.evaluate(() => document.documentElement.scrollWidth) <= 390, "the phone page is too wide");
	const box = await p2.$eval("#where", (w) => { const r = w.getBoundingClientRect(); return [r.left, r.right]; });
	ok(box[0] >= 0 && box[1] <= 390, "the header's room is off the screen: " + box);
	ok(await p2.textContent("#roomnames") === "lobby, dev, design-review",
	    "the folded list: " + await p2.textContent("#roomnames"));
	await contrastCheck(p2, "rooms, phone light", ok);
	await shot(p2, "rooms-390x844-light.png");
	await p2.emulateMedia({ colorScheme: "dark" });
	await contrastCheck(p2, "rooms, phone dark", ok);
	await shot(p2, "rooms-390x844-dark.png");
	// Opened, the rooms are buttons in rows, the current one marked.
	await p2.click("#roomsbox summary");
	await until("the rooms open again", async () => await p2.$eval("#roomsbox", (d) => d.open));
	await sleep(200);
	await contrastCheck(p2, "rooms open, phone dark", ok);
	await shot(p2, "rooms-390x844-dark-open.png");

	// A room name of 32 characters is cut with an ellipsis in the
	// header of a small phone, whole in its tooltip, and the page stays
	// on the screen.
	await p2.setViewportSize({ width: 360, height: 640 });
	const long = "Weekly-WWW-Warehouse-Workgroup_W";
	await p2.fill("#input", "/join " + long);
	await p2.keyboard.press("Enter");
	await until("the phone in the long room", async () => (await p2.textContent("#room")) === long);
	const hd = await p2.evaluate(() => {
		const r = document.getElementById("room"), w = document.getElementById("where");
		return { right: r.getBoundingClientRect().right, box: w.getBoundingClientRect().right,
		    cut: r.scrollWidth > r.clientWidth, ellipsis: getComputedStyle(r).textOverflow,
		    title: r.title, wide: document.documentElement.scrollWidth };
	});
	ok(hd.right <= hd.box + 1 && hd.wide <= 360, "the long room name runs off: " + JSON.stringify(hd));
	ok(hd.cut && hd.ellipsis === "ellipsis" && hd.title === long,
	    "the long room name is cut without an ellipsis or tooltip: " + JSON.stringify(hd));

	await phone.close();

	// ---- lobbyd comes back with dev as its landing room: the way back
	// is answered "already in", not shown, and dev's history (the
	// landing room's) shows what the page had not seen.
	const web = server.web;
	w.dropping = true;
	await page.evaluate(() => { window.__block = true; });
	let code = await stopLobbyd(server);
	ok(code === 0, "lobbyd exited " + code);
	server = await startLobbyd(LOBBYD, ["--web", "127.0.0.1:" + web, "--room", "dev"]);
	const bob2 = await member("bob");
	bob2.send("said while alice was away");
	await nothingSince(bob2, bob2.lines.length);
	await page.evaluate(() => { window.__block = false; });
	await until("the page back", async () =>
	    (await page.textContent("#status")) === "connected as alice", 15000);
	await bob2.expect("*** guest1 is now alice");
	await expectShown(page, /<bob> said while alice was away$/);
	await sleep(300);
	ok(await count(page, "*** 1 earlier message you had not seen:") === 1,
	    "the held history's header");
	ok(await count(page, "<bob> said while alice was away") === 1, "the missed line not once");
	ok(!(await shown(page)).some((t) => /you are already in/.test(t)), "the way back's error shown");
	ok(await page.textContent("#room") === "dev", "the room after the restart: " +
	    await page.textContent("#room"));
	ok((await listed(page)).join(",") === "dev 2 *", "the list after the restart: " +
	    (await listed(page)).join(","));
	w.dropping = false;

	const real = problems.filter((p) => !/WebSocket connection to .* failed/.test(p));
	ok(real.length === 0, "the console reported:\n  " + real.join("\n  "));
	code = await stopLobbyd(server);
	ok(code === 0, "lobbyd exited " + code);
	console.log("rooms test passed: " + checks + " checks; screenshots in " + OUT + ": " + shots.join(" "));
}

runTest(main, () => ({ browser, server, page }), { more: () => [
    ["room", () => page.textContent("#room")],
    ["rooms", async () => (await listed(page)).join(",")]] });
