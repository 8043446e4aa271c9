// Type declarations for the part of ltx (element model and serialiser) we use.
declare module 'ltx' {
  export type Node = Element | string;
  export class Element {
    constructor(name: string, attrs?: Record<string, string | number | undefined | null>);
    name: string;
    parent: Element | null;
    children: Node[];
    attrs: Record<string, string>;
    is(name: string, xmlns?: string): boolean;
    getName(): string;
    getNS(): string | undefined;
    findNS(prefix?: string): string | undefined;
    getAttr(name: string, xmlns?: string): string | undefined;
    getChild(name: string, xmlns?: string): Element | undefined;
    getChildren(name: string, xmlns?: string): Element[];
    getChildElements(): Element[];
    getText(): string;
    getChildText(name: string, xmlns?: string): string | null;
    root(): Element;
    up(): Element;
    c(name: string, attrs?: Record<string, string | number | undefined | null>): Element;
    cnode(child: Element): Element;
    append(...nodes: Node[]): void;
    t(text: string): Element;
    attr(name: string, value?: string): string | Element;
    toString(): string;
  }
  export function escapeXML(s: string): string;
  export function escapeXMLText(s: string): string;
}
