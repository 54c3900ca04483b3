// PublisherAgent: turns the writer's Markdown into the text a reader sees: paragraphs re-flowed to
// a fixed width (headings and lists kept as they are) and a footer with the article's numbers.
// Returns a string, so `wavepool run` prints it as it is.
import { defineAgent } from "wavepool/agent";

/** Options given at `addAgent` (or in the strategy file). */
export type PublisherOptions = { width?: number } | undefined;

/** Greedy word wrap of one paragraph at `width` columns. */
function wrap(paragraph: string, width: number): string {
  const lines: string[] = [];
  let line = "";
  for (const word of paragraph.split(/\s+/).filter(Boolean)) {
    if (line !== "" && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line === "" ? word : `${line} ${word}`;
    }
  }
  if (line !== "") lines.push(line);
  return lines.join("\n");
}

export default defineAgent<PublisherOptions, string>({
  name: "PublisherAgent",
  expertise: "Lays out an article for reading in a terminal",
  execute(intent, ctx) {
    const width = ctx.options?.width ?? 80;
    const blocks = intent.trim().split(/\n\s*\n/);
    ctx.log.info("laying out", { blocks: blocks.length, width });
    return `${blocks.map((block) => (/^(#|[-*] |\d+\. )/.test(block) ? block : wrap(block, width))).join("\n\n")}\n`;
  },
});
