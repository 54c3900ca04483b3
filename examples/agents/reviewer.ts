// ReviewerAgent: scores a draft against the research briefs it was written from (key terms covered,
// reading ease, long sentences; see review.ts). A `when` on its score decides whether to revise.
import { defineAgent } from "wavepool/agent";
import { briefsIn, isArticle } from "./inputs.js";
import { reviewDraft, type Review } from "./review.js";

export default defineAgent<unknown, Review>({
  name: "ReviewerAgent",
  expertise: "Scores a draft for coverage of its briefs' key terms and for readability",
  execute(_intent, ctx) {
    const draft = Object.values(ctx.inputs).find(isArticle);
    const briefs = briefsIn(ctx.inputs);
    if (draft === undefined || briefs.length === 0) {
      throw new Error("ReviewerAgent needs a draft (a WriterAgent output) and research briefs in its inputs; its intent template must read both");
    }
    const review = reviewDraft(draft.markdown, briefs);
    ctx.log.info("reviewed", { score: review.score, coverage: review.coverage, readingEase: review.readingEase, long: review.longSentences });
    return review;
  },
});
