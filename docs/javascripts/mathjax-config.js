// MathJax 3 configuration for pymdownx.arithmatex (generic mode): typeset only the
// `arithmatex` spans/divs it writes. MathJax itself is served from assets/mathjax/ (no CDN).
window.MathJax = {
  tex: {
    inlineMath: [["\\(", "\\)"]],
    displayMath: [["\\[", "\\]"]],
    processEscapes: true,
    processEnvironments: true,
  },
  options: {
    ignoreHtmlClass: ".*|",
    processHtmlClass: "arithmatex",
  },
};
