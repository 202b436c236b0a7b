// Which principals hold another (principalContains): what `ward reach` lets an identity inherit. Found by look-up
// among the few names that could hold it (its trust domain, its e-mail domain, the SPIFFE prefixes, the public,
// any authenticated caller, and for a bothFactors pair its sides and the pairs of what holds each), never by
// comparing every principal of the policy with every other: a policy names thousands of people, or a pair for
// each of a hundred workloads and a hundred people.
import { emailDomainOf } from "../email-address.ts";
import { principalContains, splitPair } from "./principals.ts";
import { compare } from "./sort.ts";

export class Holders {
  readonly #names: ReadonlySet<string>;
  /** Every SPIFFE prefix named, alone or as a pair's side (`spiffe://td/ns/*`). */
  readonly #prefixes: readonly string[];

  /** `names`: the principals that hold grants, as reach names them. */
  constructor(names: Iterable<string>) {
    this.#names = new Set(names);
    const prefixes = new Set<string>();
    for (const name of this.#names)
      for (const single of splitPair(name) ?? [name]) if (isPrefix(single)) prefixes.add(single);
    this.#prefixes = [...prefixes];
  }

  /** The principals among the names that hold `p`, other than `p` itself, sorted. */
  of(p: string): string[] {
    const candidates = new Set<string>();
    const pair = splitPair(p);
    if (pair) {
      // What holds either side alone (each side itself included), and each pair of what holds each side.
      const [workloads, access] = [this.#wider(pair[0]), this.#wider(pair[1])];
      for (const w of workloads) candidates.add(w);
      for (const a of access) candidates.add(a);
      for (const w of workloads) for (const a of access) candidates.add(`${w} + ${a}`);
    } else for (const q of this.#wider(p)) candidates.add(q);
    candidates.delete(p);
    return [...candidates].filter((q) => this.#names.has(q) && principalContains(q, p)).sort(compare);
  }

  /** The single principals that may hold the single principal `p`, `p` included (principalContains decides). */
  #wider(p: string): string[] {
    const out = [p, "public", "any-authenticated", ...this.#prefixes];
    if (p.startsWith("email:")) {
      const domain = emailDomainOf(p.slice("email:".length));
      if (domain !== undefined) out.push(`email-domain:${domain}`);
    }
    if (p.startsWith("spiffe://")) out.push(`trust-domain:${p.slice("spiffe://".length).split(/[/*]/, 1)[0]}`);
    return out;
  }
}

const isPrefix = (p: string): boolean => p.startsWith("spiffe://") && p.endsWith("*");
