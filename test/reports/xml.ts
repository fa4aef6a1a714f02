// A strict little XML 1.0 reader for the JUnit tests: it rejects what a real parser rejects in the
// documents we write (unbalanced or crossed tags, unquoted or duplicate attributes, a raw '<' or a bare
// '&' in text, characters XML forbids, two roots) and returns a tree to query, so the tests check both
// well-formedness and content. The browser test parses the same file with Chromium's DOMParser too.

export interface XmlElement {
  readonly name: string;
  readonly attributes: Readonly<Record<string, string>>;
  readonly children: readonly XmlElement[];
  /** Decoded character data directly inside this element. */
  readonly text: string;
}

const NAME = /^[A-Za-z_][\w.-]*/;
// These are exactly the characters XML 1.0 forbids.
const FORBIDDEN =
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

function decode(raw: string, where: string): string {
  if (raw.includes('<')) throw new Error(`raw '<' in ${where}`);
  return raw.replace(/&([^;]*);?/g, (whole, body: string) => {
    if (!whole.endsWith(';')) throw new Error(`bare '&' in ${where}: ${JSON.stringify(whole)}`);
    const named: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };
    if (body in named) return named[body] ?? '';
    const numeric = /^#(x[0-9a-fA-F]+|[0-9]+)$/.exec(body);
    if (numeric?.[1] === undefined) throw new Error(`unknown entity &${body}; in ${where}`);
    const code = numeric[1].startsWith('x') ? Number.parseInt(numeric[1].slice(1), 16) : Number(numeric[1]);
    const char = String.fromCodePoint(code);
    if (FORBIDDEN.test(char)) throw new Error(`reference to a forbidden character &${body}; in ${where}`);
    return char;
  });
}

/** Parses an XML document (declaration + one root element); throws on anything not well-formed. */
export function parseXml(source: string): XmlElement {
  if (FORBIDDEN.test(source)) throw new Error('document contains a character XML 1.0 forbids');
  let rest = source.replace(/^<\?xml[^?]*\?>\s*/, '');
  interface Open {
    name: string;
    attributes: Record<string, string>;
    children: XmlElement[];
    text: string;
  }
  const stack: Open[] = [];
  let root: XmlElement | undefined;
  const close = (element: Open): void => {
    const done: XmlElement = element;
    const parent = stack[stack.length - 1];
    if (parent === undefined) {
      if (root !== undefined) throw new Error('more than one root element');
      root = done;
    } else parent.children.push(done);
  };
  while (rest.length > 0) {
    const lt = rest.indexOf('<');
    const text = lt === -1 ? rest : rest.slice(0, lt);
    const top = stack[stack.length - 1];
    if (text.length > 0) {
      if (top === undefined) {
        if (text.trim() !== '')
          throw new Error(`text outside the root: ${JSON.stringify(text.slice(0, 40))}`);
      } else top.text += decode(text, `<${top.name}>`);
    }
    if (lt === -1) break;
    rest = rest.slice(lt);
    if (rest.startsWith('</')) {
      const match = /^<\/([A-Za-z_][\w.-]*)\s*>/.exec(rest);
      if (match?.[1] === undefined) throw new Error(`bad end tag: ${rest.slice(0, 40)}`);
      const open = stack.pop();
      if (open?.name !== match[1]) throw new Error(`</${match[1]}> closes <${open?.name ?? 'nothing'}>`);
      close(open);
      rest = rest.slice(match[0].length);
      continue;
    }
    const name = NAME.exec(rest.slice(1))?.[0];
    if (name === undefined) throw new Error(`bad tag: ${rest.slice(0, 40)}`);
    rest = rest.slice(1 + name.length);
    const attributes: Record<string, string> = {};
    for (;;) {
      const attribute = /^\s+([A-Za-z_][\w.:-]*)="([^"]*)"/.exec(rest);
      if (attribute?.[1] === undefined || attribute[2] === undefined) break;
      if (attribute[1] in attributes) throw new Error(`duplicate attribute ${attribute[1]} on <${name}>`);
      attributes[attribute[1]] = decode(attribute[2], `${name}@${attribute[1]}`);
      rest = rest.slice(attribute[0].length);
    }
    const end = /^\s*(\/?)>/.exec(rest);
    if (end === null) throw new Error(`<${name}> has a malformed attribute or end: ${rest.slice(0, 40)}`);
    rest = rest.slice(end[0].length);
    const element: Open = { name, attributes, children: [], text: '' };
    if (end[1] === '/') close(element);
    else stack.push(element);
  }
  if (stack.length > 0) throw new Error(`unclosed <${stack.map((e) => e.name).join('> <')}>`);
  if (root === undefined) throw new Error('no root element');
  return root;
}

/** Every element named `name` below (and including) `element`, in document order. */
export function findAll(element: XmlElement, name: string): XmlElement[] {
  const here = element.name === name ? [element] : [];
  return [...here, ...element.children.flatMap((child) => findAll(child, name))];
}
