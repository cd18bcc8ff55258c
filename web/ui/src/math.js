// KaTeX, split into its own chunk so the page loads it only when a message
// contains math.
import katex from 'katex';

/** Typesets tex into el; errors show the TeX source in red instead of throwing. */
export function renderTeX(tex, el, display) {
  katex.render(tex, el, { displayMode: display, throwOnError: false, output: 'htmlAndMathml', trust: false, strict: 'ignore' });
}
