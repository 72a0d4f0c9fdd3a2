"""Maths in feedback pages as MathML, converted when the page is written.

nbconvert leaves the LaTeX of markdown cells (``$...$``, ``$$...$$``, ``\\begin{..}``
environments) for MathJax, which a page opened from disk without a network never gets.
Here the formulas are found by nbconvert's own markdown parser (mistune), so code spans
and code blocks are never maths, and each one is converted by ``latex2mathml`` as it is
rendered: no markdown rule ever sees the markup, so underscores, asterisks and backslashes
inside a formula cannot be mangled. Browsers render MathML natively (Chromium, Firefox, Safari).

- :func:`latex_to_mathml`: one formula to MathML, checked and re-serialised (or ``None``);
- :func:`render_formula`: the MathML, or the LaTeX source shown as code when it cannot be converted;
- :class:`MoneySafeInlineParser`: inline ``$...$`` only where it cannot be money (``$5 and $10``);
- :class:`MathMLRenderer` and :func:`markdown_to_html`: nbconvert's markdown rendering, maths as MathML.
"""
from __future__ import annotations

import functools
import html
import re
import xml.etree.ElementTree as ElementTree

from nbconvert.filters.markdown_mistune import IPythonRenderer, MarkdownWithMath, MathInlineParser

MATHML_NAMESPACE = "http://www.w3.org/1998/Math/MathML"

#: the MathML elements a converted formula may contain (MathML Core and what latex2mathml writes)
MATHML_ELEMENTS = frozenset("""
    math mrow mi mn mo ms mtext mspace msub msup msubsup munder mover munderover mfrac msqrt mroot
    mstyle mtable mtr mtd mlabeledtr mpadded mphantom menclose merror mmultiscripts mprescripts none
    semantics annotation maligngroup malignmark
""".split())

#: the attributes it may carry: presentation only (no ``href``, ``style``, ``id`` or event handler)
MATHML_ATTRIBUTES = frozenset("""
    display mathvariant displaystyle scriptlevel stretchy fence form separator minsize maxsize lspace
    rspace symmetric largeop movablelimits accent accentunder linethickness width height depth
    linebreak columnalign rowalign columnspacing rowspacing columnlines rowlines frame framespacing
    equalrows equalcolumns mathcolor mathbackground mathsize notation voffset bevelled numalign
    denomalign rowspan columnspan align encoding
""".split())

#: a command latex2mathml did not know: it writes it out as a name (``<mi>\\foo</mi>``)
_UNKNOWN_COMMAND = re.compile(r"\\[A-Za-z]")

#: environments latex2mathml mistakes for plain text (``&`` shown as a letter), and what it does know
_ENVIRONMENT_ALIASES = {"aligned": "align*"}


class UnsafeMathML(ValueError):
    """latex2mathml's output holds something a page must not show (unknown element, attribute or command)."""


def _check(element: ElementTree.Element) -> None:
    """Raise :class:`UnsafeMathML` unless ``element`` and its children are known, plain MathML."""
    namespace, _, name = element.tag.rpartition("}")
    if namespace not in ("", "{" + MATHML_NAMESPACE) or name not in MATHML_ELEMENTS:
        raise UnsafeMathML(f"element {element.tag}")
    for attribute in element.attrib:
        if attribute not in MATHML_ATTRIBUTES:
            raise UnsafeMathML(f"attribute {attribute}")
    text = (element.text or "").strip()
    if _UNKNOWN_COMMAND.search(text) or (name == "mi" and text == "&"):
        raise UnsafeMathML(f"unconverted LaTeX {text!r}")
    for child in element:
        _check(child)


def _serialise(element: ElementTree.Element) -> str:
    """``element`` as HTML: every text and attribute escaped, the namespace left to the HTML parser."""
    name = element.tag.rpartition("}")[2]
    attributes = "".join(f' {key}="{html.escape(value)}"' for key, value in element.attrib.items())
    inner = html.escape(element.text or "", quote=False)
    inner += "".join(_serialise(child) + html.escape(child.tail or "", quote=False) for child in element)
    return f"<{name}{attributes}>{inner}</{name}>"


@functools.lru_cache(maxsize=4096)
def latex_to_mathml(latex: str, display: bool = False) -> str | None:
    """Convert one formula to MathML, or return ``None`` when it cannot be converted faithfully.

    Parameters
    ----------
    latex : str
        The formula without its delimiters (``\\frac{1}{m}``), or a whole ``\\begin{..}`` environment.
    display : bool
        A display formula (its own centred line) rather than one inside the text.

    Returns
    -------
    str or None
        A ``<math>`` element whose every part was checked against :data:`MATHML_ELEMENTS` and
        :data:`MATHML_ATTRIBUTES` and re-serialised with its text escaped; ``None`` when
        latex2mathml fails, or leaves a command or an alignment ``&`` unconverted.

    Examples
    --------
    >>> latex_to_mathml("a_1")
    '<math display="inline"><mrow><msub><mi>a</mi><mn>1</mn></msub></mrow></math>'
    >>> latex_to_mathml("\\\\frac{1}{") is None
    True
    """
    from latex2mathml.converter import convert

    for environment, known in _ENVIRONMENT_ALIASES.items():
        latex = latex.replace(f"\\begin{{{environment}}}", f"\\begin{{{known}}}")
        latex = latex.replace(f"\\end{{{environment}}}", f"\\end{{{known}}}")
    try:
        root = ElementTree.fromstring(convert(latex, display="block" if display else "inline"))
        _check(root)
    except Exception:  # latex2mathml raises many kinds of errors on bad LaTeX: all mean "not converted"
        return None
    return _serialise(root)


def render_formula(latex: str, display: bool, delimiter: str) -> str:
    """HTML for one formula: its MathML, or else its LaTeX source (with ``delimiter``) as code.

    A formula that cannot be converted stays readable as the LaTeX its author wrote;
    it never breaks the page.
    """
    mathml = latex_to_mathml(latex.strip(), display)
    if mathml is not None:
        return mathml
    source = html.escape(f"{delimiter}{latex}{delimiter}")
    return f'<code class="latex-source" title="formula shown as LaTeX: it could not be converted">{source}</code>'


class MoneySafeInlineParser(MathInlineParser):
    """nbconvert's maths-aware inline parser, with a ``$...$`` rule that leaves money alone.

    As in pandoc: the opening ``$`` is followed by a non-space, the closing one follows a
    non-space and is not followed by a digit, and a formula holds no backtick (a code span
    wins). So ``$5 and $10`` and ``costs $5`` stay text while ``$a = 1$`` is maths.
    """

    INLINE_MATH_TEX = (r"(?s:(?<![$\\])\$(?![\s$])"
                       r"(?P<math_inline_tex>(?:\\.|[^\\`$])+?)(?<!\s)\$(?!\d))")
    SPECIFICATION = {**MathInlineParser.SPECIFICATION, "inline_math_tex": INLINE_MATH_TEX}


class MathMLRenderer(IPythonRenderer):
    """nbconvert's markdown renderer, writing every formula as MathML (see :func:`render_formula`)."""

    def inline_math(self, body: str) -> str:
        return render_formula(body, display=False, delimiter="$")

    def block_math(self, body: str) -> str:
        return render_formula(body, display=True, delimiter="$$")

    def latex_environment(self, name: str, body: str) -> str:
        return render_formula(f"\\begin{{{name}}}{body}\\end{{{name}}}", display=True, delimiter="")


def markdown_to_html(source: str, **renderer_options) -> str:
    """Render markdown as nbconvert does, with the maths as MathML.

    Parameters
    ----------
    source : str
        A markdown cell's source.
    **renderer_options
        Passed to :class:`MathMLRenderer` (nbconvert's ``IPythonRenderer``: ``attachments``,
        ``path``, ``anchor_link_text``, ...).
    """
    renderer = MathMLRenderer(escape=False, **renderer_options)
    return MarkdownWithMath(renderer=renderer, inline=MoneySafeInlineParser(hard_wrap=False)).render(source)
