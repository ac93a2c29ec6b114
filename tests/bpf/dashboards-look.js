// Loaded into a copy of dashboards/render.py's index.html by
// tests/bpf/67-dashboards-look.sh, in headless Chromium: looks at every
// rendered panel as a reader would and writes one "ok"/"not ok" line per
// finding into <pre id="look">, which the suite reads from the DOM.
//
// location.hash: JSON {"kvm-101": "web-1", ...}, the VMs and their names.
"use strict";

window.addEventListener("load", () => {
	const names = JSON.parse(decodeURIComponent(location.hash.slice(1)));
	const out = [];
	const check = (what, good, detail) =>
		out.push((good ? "ok - " : "not ok - ") + what +
			 (good || !detail ? "" : "\n# " + detail));
	const canvas = document.createElement("canvas");
	const ctx = canvas.getContext("2d", { willReadFrequently: true });

	const imgs = document.querySelectorAll("figure img");
	check("panels rendered (" + imgs.length + ")", imgs.length > 0);
	for (const img of imgs) {
		const title = img.alt.trim();
		const who = "panel '" + (title || img.getAttribute("src")) + "'";
		check(who + " has a title", title !== "");
		check(who + " image loaded", img.complete && img.naturalWidth > 0,
		      img.getAttribute("src"));
		if (!img.naturalWidth)
			continue;
		// Blank or "no data": gnuplot draws axes, grid and text in grey
		// and black; series and heatmap cells are the only coloured
		// pixels.
		canvas.width = img.naturalWidth;
		canvas.height = img.naturalHeight;
		ctx.drawImage(img, 0, 0);
		const px = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
		let coloured = 0, sum = 0, sum2 = 0;
		for (let i = 0; i < px.length; i += 4) {
			const r = px[i], g = px[i + 1], b = px[i + 2];
			const y = (r + g + b) / 3;
			sum += y;
			sum2 += y * y;
			if (Math.max(r, g, b) - Math.min(r, g, b) > 60)
				coloured++;
		}
		const n = px.length / 4, mean = sum / n;
		check(who + " is not blank", sum2 / n - mean * mean > 100,
		      "luminance variance " + (sum2 / n - mean * mean));
		check(who + " draws data (" + coloured + " coloured pixels)",
		      coloured > 200);

		// "vcpu" or a separator left dangling by a label the series
		// lacks (the exporter without --per-vcpu); a VM by its name.
		const legend = JSON.parse(img.dataset.legend || "[]");
		const broken = legend.filter((l) =>
			/vcpu(?! \d)|^[\s\/(]|[\s\/]$|\(\)/i.test(l));
		check(who + " legend reads whole (" + legend.length + " names)",
		      broken.length === 0, broken.join(" | "));
		const misnamed = legend.filter((l) => {
			if (!/kvm-\d/.test(l))
				return false;
			const m = l.match(/(\S+)? ?\((kvm-\d+)\)/);
			return !m || m[1] !== names[m[2]];
		});
		check(who + " legend names VMs vm_name (vm)",
		      misnamed.length === 0, misnamed.join(" | "));
	}
	const text = [...imgs].map((i) => i.dataset.legend).join(" ");
	for (const vm in names)
		check("some legend names " + names[vm] + " (" + vm + ")",
		      text.includes(names[vm] + " (" + vm + ")"));
	for (const s of document.querySelectorAll(".stat"))
		check("stat '" + s.parentNode.querySelector("b").textContent +
		      "' shows '" + s.textContent + "'",
		      !/no data|failed/.test(s.textContent));

	const pre = document.createElement("pre");
	pre.id = "look";
	pre.textContent = out.join("\n");
	document.body.append(pre);
});
