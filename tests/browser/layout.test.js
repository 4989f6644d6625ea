// layout.test.js: the page's layout at its edges, in Debian's chromium
// against a real lobbyd: a nick of 20 characters (the most there is)
// keeps a phone's header to one row, the Notifications button beside
// it; in the side panels a nick of 20 characters, and a room name of 32,
// take one line each, never broken mid-word, whole or cut with an
// ellipsis and whole in a tooltip; a topic in Hebrew reads right to
// left, in the header and in the log. Screenshots (1280x800 and
// 375x667) go to OUTDIR as layout-*.png.
"use strict";

const path = require("node:path");
const fs = require("node:fs");
const { chromium } = require("playwright-core");
const { fail, until, startLobbyd, stopLobbyd, tcpMember, expectShown,
    launch, watch, runTest, ends } = require("./lib.js");

const LOBBYD = process.env.LOBBYD;
const OUT = process.env.OUTDIR || ".";
const ROOM = "Weekly-WWW-Warehouse-Workgroup_W";	// 32: the longest
const TOPIC = "שלום לכולם, הגרסה תצא ביום שישי!";	// Hebrew, ends in "!"

let server = null, browser = null, page = null;
let checks = 0;

function ok(cond, msg) {
	checks++;
	if (!cond) fail(msg);
}

// A TCP member under nick, in room (made if need be).
async function member(nick, room) {
	const m = await tcpMember(server.tcp);
	await until(nick + "'s welcome", () => m.lines.some((l) => l.startsWith("*** welcome")));
	m.send("/nick " + nick);
	await until(nick + "'s nick", () => m.lines.some((l) => l.endsWith(" is now " + nick)));
	m.send("/join " + room);
	await until(nick + " in " + room, () =>
	    m.lines.some((l) => l.startsWith("*** you are now in " + room + " (")));
	return m;
}

// A page at width x height, as nick, in ROOM.
async function pageAs(nick, width, height, problems) {
	const ctx = await browser.newContext({ viewport: { width, height } });
	const p = await ctx.newPage();
	p.on("pageerror", (e) => problems.push(width + "px page error: " + e.message));
	await p.goto("http://127.0.0.1:" + server.web + "/");
	await until("the page to connect", async () =>
	    /^connected as guest\d+$/.test(await p.textContent("#status")));
	await p.fill("#input", "/nick " + nick);
	await p.keyboard.press("Enter");
	await until(nick + " on the page", async () =>
	    (await p.textContent("#status")) === "connected as " + nick);
	await p.fill("#input", "/join " + ROOM);
	await p.keyboard.press("Enter");
	await until("the page in " + ROOM, async () => (await p.textContent("#room")) === ROOM);
	await until("the topic in the header", async () => (await p.textContent("#topic")) === TOPIC);
	return p;
}

// The boxes of the side panels' entries: each member by nick, each
// room by name; cut: wider than shown; title: its tooltip.
function entries(p) {
	return p.evaluate(() => {
		const out = {};
		const one = (key, el, text) => {
			const r = el.getBoundingClientRect();
			out[key] = { h: r.height, top: r.top, cut: text.scrollWidth > text.clientWidth + 1,
			    title: text.title || el.title };
		};
		for (const li of document.querySelectorAll("#online li")) {
			const n = li.querySelector(".nick");
			one("nick:" + n.textContent, li, n);
		}
		for (const b of document.querySelectorAll("#rooms button"))
			one("room:" + b.dataset.room, b, b.querySelector(".name") || b);
		return out;
	});
}

async function main() {
	if (!LOBBYD) fail("LOBBYD is not set");
	fs.mkdirSync(OUT, { recursive: true });
	server = await startLobbyd(LOBBYD);
	browser = await launch(chromium);
	const problems = [];

	// A room with the longest name, a topic in Hebrew, and members with
	// the longest nicks and a short one.
	const bart = await member("Bartholomew_Fletcher", ROOM);
	bart.send("/topic " + TOPIC);
	await bart.expect("*** Bartholomew_Fletcher set the topic: " + TOPIC);
	await member("ed", ROOM);

	// ---- A desktop.
	page = await pageAs("maximilian_alexander", 1280, 800, problems);
	watch(page, { problems, dropping: false });
	await until("three members listed", async () =>
	    (await page.$$eval("#online li", (l) => l.length)) === 3);
	await until("the rooms listed", async () =>
	    (await page.$$eval("#rooms button", (l) => l.length)) === 2);

	// The topic reads right to left: its "!" at its left end, the room
	// name still just before it.
	const dir = await page.$eval("#topic", (t) => ({ attr: t.getAttribute("dir"),
	    rtl: t.matches(":dir(rtl)"), css: getComputedStyle(t).direction }));
	ok(dir.rtl && dir.css === "rtl", "the Hebrew topic is laid out left to right: " + JSON.stringify(dir));
	const top = await ends(page, "#topic", TOPIC);
	ok(top.bang[1] <= top.words[0] + 1, "the topic's \"!\" is not at its left end: " + JSON.stringify(top));
	const roomBox = await page.$eval("#room", (r) => r.getBoundingClientRect().right);
	ok(roomBox <= top.bang[0] && top.bang[0] - roomBox < 20,
	    "the topic is not right after the room's name: " + JSON.stringify({ roomBox, top }));
	// And so in the log, after the notice's "*** topic: ".
	await expectShown(page, new RegExp("\\*\\*\\* topic: " + TOPIC + "$"));
	const said = await ends(page, "#log li", TOPIC);
	ok(said.bang[1] <= said.words[0] + 1, "the topic notice's \"!\" is not at its left end: " +
	    JSON.stringify(said));
	ok(said.time <= said.bang[0], "the topic went before the notice's time stamp: " +
	    JSON.stringify(said));
	bart.send("/topic " + TOPIC);
	await expectShown(page, new RegExp("\\*\\*\\* Bartholomew_Fletcher set the topic: " + TOPIC + "$"));
	const set = await ends(page, "#log li", TOPIC);
	ok(set.bang[1] <= set.words[0] + 1, "the new topic's \"!\" is not at its left end: " +
	    JSON.stringify(set));

	// The panels: each entry one line, as high as a short one; a nick of
	// 20 lower-case letters whole at this width; what is cut has an
	// ellipsis and is whole in its tooltip.
	const e = await entries(page);
	const short = e["nick:ed"];
	for (const n of ["Bartholomew_Fletcher", "maximilian_alexander"]) {
		const x = e["nick:" + n];
		ok(x.h <= short.h + 1, "the panel broke " + n + " over lines: " + JSON.stringify(x) +
		    " against ed's " + JSON.stringify(short));
		ok(!x.cut, n + " is cut in the panel at 1280 pixels: " + JSON.stringify(x));
	}
	const r = e["room:" + ROOM], lobby = e["room:lobby"];
	ok(r.h <= lobby.h + 1, "the room list broke " + ROOM + " over lines: " + JSON.stringify(r) +
	    " against lobby's " + JSON.stringify(lobby));
	ok(!r.cut || r.title.includes(ROOM), "the cut room name is not whole in its tooltip: " +
	    JSON.stringify(r));
	const ell = await page.$$eval("#online .nick, #rooms .name", (ns) =>
	    ns.map((n) => getComputedStyle(n).textOverflow));
	ok(ell.length === 5 && ell.every((t) => t === "ellipsis"), "panel entries without an ellipsis: " +
	    JSON.stringify(ell));
	await page.screenshot({ path: path.join(OUT, "layout-1280x800.png") });
	// Narrower, the panel cuts a long nick: with an ellipsis, whole in
	// its tooltip, on one line still.
	await page.setViewportSize({ width: 800, height: 800 });
	const e2 = await entries(page);
	for (const n of ["Bartholomew_Fletcher", "maximilian_alexander"]) {
		const x = e2["nick:" + n];
		ok(x.h <= e2["nick:ed"].h + 1, "at 800 pixels the panel broke " + n + " over lines: " +
		    JSON.stringify(x));
		ok(!x.cut || x.title === n, n + " is cut without a tooltip: " + JSON.stringify(x));
	}
	ok(e2["room:" + ROOM].h <= e2["room:lobby"].h + 1, "at 800 pixels the room list broke " + ROOM);

	// ---- A phone (375x667): the header is one row, title, status and
	// the Notifications button; the nick gives way with an ellipsis,
	// whole in its tooltip. The room and its topic are the row under it.
	const nick = "zyxwvutsrqponmlkjihg";
	const p2 = await pageAs(nick, 375, 667, problems);
	ok(await p2.isVisible("#notify"), "no Notifications button to lay out (permission " +
	    await p2.evaluate(() => Notification.permission) + ")");
	const head = await p2.evaluate(() => {
		const box = (el) => {
			const r = el.getBoundingClientRect();
			return { top: r.top, bottom: r.bottom, left: r.left, right: r.right,
			    mid: (r.top + r.bottom) / 2 };
		};
		const me = document.getElementById("me");
		return { h1: box(document.querySelector("header h1")), me: box(me),
		    notify: box(document.getElementById("notify")),
		    where: box(document.getElementById("where")),
		    cut: me.scrollWidth > me.clientWidth, ellipsis: getComputedStyle(me).textOverflow,
		    title: me.title, wide: document.documentElement.scrollWidth };
	});
	ok(Math.abs(head.notify.mid - head.me.mid) < 3 && Math.abs(head.h1.mid - head.me.mid) < 3,
	    "the phone's header is more than one row: " + JSON.stringify(head));
	ok(head.me.right <= head.notify.left, "the nick runs under the Notifications button: " +
	    JSON.stringify(head));
	ok(head.where.top >= head.notify.bottom - 1, "the room's row is not under the header's: " +
	    JSON.stringify(head));
	ok(head.wide <= 375, "the phone page is " + head.wide + " pixels wide");
	ok(!head.cut || (head.ellipsis === "ellipsis" && head.title === nick),
	    "the nick is cut without an ellipsis or tooltip: " + JSON.stringify(head));
	// The topic on the phone reads right to left too.
	const pt = await ends(p2, "#topic", TOPIC);
	ok(pt.bang[1] <= pt.words[0] + 1, "the phone's topic \"!\" is not at its left end: " +
	    JSON.stringify(pt));
	// Opened, the people list shows each nick on one line.
	await p2.click("#people summary");
	await until("the people list open", async () => await p2.$eval("#people", (d) => d.open));
	const e3 = await entries(p2);
	for (const n of ["Bartholomew_Fletcher", nick]) {
		const x = e3["nick:" + n];
		ok(x.h <= e3["nick:ed"].h + 1, "the phone's people list broke " + n + " over lines: " +
		    JSON.stringify(x));
	}
	await p2.screenshot({ path: path.join(OUT, "layout-375x667.png") });

	const real = problems.filter((p) => !/WebSocket connection to .* failed/.test(p));
	ok(real.length === 0, "the console reported:\n  " + real.join("\n  "));
	const code = await stopLobbyd(server);
	ok(code === 0, "lobbyd exited " + code);
	console.log("layout test passed: " + checks + " checks; screenshots in " + OUT +
	    ": layout-1280x800.png layout-375x667.png");
}

runTest(main, () => ({ browser, server, page }));
