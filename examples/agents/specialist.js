#!/usr/bin/env node
// A support specialist of examples/support_team: `node specialist.js billing|technical|general`.
// One that $AEGIS_EXAMPLE_DOWN names (a comma-separated list) is down: it fails, as a real
// agent whose service is unavailable does, and the team's router has to do without it.
import { agent } from "./lib.js";

const name = process.argv[2] ?? "general";
const down = (process.env.AEGIS_EXAMPLE_DOWN ?? "").split(",").map((s) => s.trim());

await agent(name, (prompt) => {
  if (down.includes(name)) {
    process.stderr.write(`Error: the ${name} service is unavailable\n`);
    process.exit(1);
  }
  const order = /#\d+/.exec(prompt)?.[0];
  const forOrder = order ? ` for order ${order}` : "";
  switch (name) {
    case "billing":
      return `Your refund${forOrder} has been issued; it reaches your account in 3 to 5 days.`;
    case "technical":
      return "The crash is fixed in version 2.4.1: please update the app.";
    default:
      return /billing specialist is unavailable/.test(prompt)
        ? `Our billing team is looking into your refund${forOrder}; you will hear from them within a day.`
        : "Thank you for writing: we are glad to help.";
  }
});
