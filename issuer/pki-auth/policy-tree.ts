// RFC 5280 §6.1 certificate policy processing: the valid_policy_tree with policy mappings, requireExplicitPolicy,
// inhibitPolicyMapping and inhibitAnyPolicy, written after the RFC's steps (the step letters are in the comments)
// so each line can be checked against the text. PKITS sections 4.8–4.12 are its test.
//
// Input is the path *without* the trust anchor (RFC 5280 §6.1: the anchor is input, not a certificate of the
// path), certificate 1 (issued by the anchor) first and the end entity last: the RFC's order.
import type { CertificateExtensions } from './certificate-extensions.ts';

export const ANY_POLICY = '2.5.29.32.0';

/** §6.1.1 (c), (e), (f), (g). `userInitialPolicySet` null is the special value any-policy. */
export interface PolicyProcessingSettings {
  readonly userInitialPolicySet: readonly string[] | null;
  readonly initialExplicitPolicy: boolean;
  readonly initialPolicyMappingInhibit: boolean;
  readonly initialAnyPolicyInhibit: boolean;
  /**
   * Deviation (see README): anyPolicy asserted by the end-entity certificate itself is not processed, so the
   * end entity must name a policy of its own. A PIV Authentication certificate that claims "any policy" says
   * nothing about how the card was issued.
   */
  readonly endEntityAnyPolicyIgnored: boolean;
}

/** One certificate as policy processing sees it. */
export interface PolicyCertificate {
  readonly selfIssued: boolean;
  readonly extensions: Pick<
    CertificateExtensions,
    'certificatePolicies' | 'policyMappings' | 'policyConstraints' | 'inhibitAnyPolicy'
  >;
}

export type PolicyTreeResult =
  /** `policies`: the user-domain policies the path is valid for (empty when it is valid for none and that is allowed). */
  { ok: true; policies: readonly string[] } | { ok: false; certificateIndex: number; message: string };

interface PolicyNode {
  readonly validPolicy: string;
  expected: ReadonlySet<string>;
  readonly parent: PolicyNode | null;
  readonly children: PolicyNode[];
}

type Tree = PolicyNode[][]; // levels[depth]; null tree is represented by `null` below

export function processPolicies(
  path: readonly PolicyCertificate[],
  settings: PolicyProcessingSettings,
): PolicyTreeResult {
  const n = path.length;
  const root: PolicyNode = { validPolicy: ANY_POLICY, expected: new Set([ANY_POLICY]), parent: null, children: [] };
  let tree: Tree | null = [[root]];
  let explicitPolicy = settings.initialExplicitPolicy ? 0 : n + 1;
  let inhibitAnyPolicy = settings.initialAnyPolicyInhibit ? 0 : n + 1;
  let policyMapping = settings.initialPolicyMappingInhibit ? 0 : n + 1;

  for (let i = 1; i <= n; i += 1) {
    const certificate = path[i - 1];
    if (certificate === undefined) break;
    const { certificatePolicies, policyMappings, policyConstraints } = certificate.extensions;
    const last = i === n;
    // (d), (e)
    if (tree !== null && certificatePolicies !== null) {
      const anyAllowed =
        (inhibitAnyPolicy > 0 || (!last && certificate.selfIssued)) && !(last && settings.endEntityAnyPolicyIgnored);
      tree = addCertificatePolicies(tree, i, certificatePolicies, anyAllowed);
    } else {
      tree = null;
    }
    // (f)
    if (explicitPolicy <= 0 && tree === null) {
      return {
        ok: false,
        certificateIndex: i - 1,
        message: 'no acceptable certificate policy remains at this certificate, and an explicit policy is required',
      };
    }
    if (last) break;
    // §6.1.4 (a), (b)
    if (policyMappings !== null) {
      if (
        policyMappings.some(
          (mapping) => mapping.issuerDomainPolicy === ANY_POLICY || mapping.subjectDomainPolicy === ANY_POLICY,
        )
      ) {
        return { ok: false, certificateIndex: i - 1, message: 'a policy mapping maps to or from anyPolicy' };
      }
      if (tree !== null) tree = applyMappings(tree, i, policyMappings, policyMapping > 0);
    }
    // (h), (i), (j)
    if (!certificate.selfIssued) {
      if (explicitPolicy > 0) explicitPolicy -= 1;
      if (policyMapping > 0) policyMapping -= 1;
      if (inhibitAnyPolicy > 0) inhibitAnyPolicy -= 1;
    }
    const { requireExplicitPolicy, inhibitPolicyMapping } = policyConstraints ?? {};
    if (requireExplicitPolicy !== undefined && requireExplicitPolicy < explicitPolicy)
      explicitPolicy = requireExplicitPolicy;
    if (inhibitPolicyMapping !== undefined && inhibitPolicyMapping < policyMapping)
      policyMapping = inhibitPolicyMapping;
    const skip = certificate.extensions.inhibitAnyPolicy;
    if (skip !== null && skip < inhibitAnyPolicy) inhibitAnyPolicy = skip;
  }

  // §6.1.5 (a), (b)
  const endEntity = path[n - 1];
  if (explicitPolicy > 0) explicitPolicy -= 1;
  if (endEntity?.extensions.policyConstraints?.requireExplicitPolicy === 0) explicitPolicy = 0;
  // (g)
  const intersection = tree === null ? null : intersect(tree, n, settings.userInitialPolicySet);
  if (explicitPolicy <= 0 && intersection === null) {
    return {
      ok: false,
      certificateIndex: n - 1,
      message: 'the path is valid for none of the acceptable certificate policies',
    };
  }
  return { ok: true, policies: intersection ?? [] };
}

/** §6.1.3 (d) (1)–(3). Returns null when the tree is left empty. */
function addCertificatePolicies(tree: Tree, i: number, policies: readonly string[], anyAllowed: boolean): Tree | null {
  const parents = tree[i - 1] ?? [];
  const level: PolicyNode[] = [];
  const addChild = (parent: PolicyNode, validPolicy: string): void => {
    const node: PolicyNode = { validPolicy, expected: new Set([validPolicy]), parent, children: [] };
    parent.children.push(node);
    level.push(node);
  };
  for (const policy of policies) {
    if (policy === ANY_POLICY) continue;
    const matching = parents.filter((node) => node.expected.has(policy));
    if (matching.length > 0)
      for (const node of matching) addChild(node, policy); // (1)(i)
    else for (const node of parents.filter((candidate) => candidate.validPolicy === ANY_POLICY)) addChild(node, policy); // (1)(ii)
  }
  if (anyAllowed && policies.includes(ANY_POLICY)) {
    // (2)
    for (const node of parents) {
      for (const expected of node.expected) {
        if (!node.children.some((child) => child.validPolicy === expected)) addChild(node, expected);
      }
    }
  }
  return prune([...tree.slice(0, i), level], i); // (3)
}

/** §6.1.4 (b): mapped policies become the expected policies of their nodes at depth i, or are deleted. */
function applyMappings(
  tree: Tree,
  i: number,
  mappings: readonly { issuerDomainPolicy: string; subjectDomainPolicy: string }[],
  mappingAllowed: boolean,
): Tree | null {
  const byIssuerPolicy = new Map<string, Set<string>>();
  for (const { issuerDomainPolicy, subjectDomainPolicy } of mappings) {
    const targets = byIssuerPolicy.get(issuerDomainPolicy) ?? new Set<string>();
    targets.add(subjectDomainPolicy);
    byIssuerPolicy.set(issuerDomainPolicy, targets);
  }
  const level = tree[i] ?? [];
  if (!mappingAllowed) {
    // (2): delete the mapped nodes and what is left childless above them
    const kept = level.filter((node) => !byIssuerPolicy.has(node.validPolicy));
    for (const node of level) if (!kept.includes(node)) removeChild(node);
    return prune([...tree.slice(0, i), kept], i);
  }
  const added: PolicyNode[] = [];
  for (const [policy, targets] of byIssuerPolicy) {
    // (1)
    const nodes = level.filter((node) => node.validPolicy === policy);
    if (nodes.length > 0) {
      for (const node of nodes) node.expected = targets;
      continue;
    }
    const any = level.find((node) => node.validPolicy === ANY_POLICY);
    if (any?.parent) {
      const node: PolicyNode = { validPolicy: policy, expected: targets, parent: any.parent, children: [] };
      any.parent.children.push(node);
      added.push(node);
    }
  }
  return [...tree.slice(0, i), [...level, ...added]];
}

/** §6.1.5 (g) (iii): the authorities-constrained policies that are also in the user-initial-policy-set. */
function intersect(tree: Tree, n: number, userSet: readonly string[] | null): readonly string[] | null {
  const validPolicyNodeSet = tree.flat().filter((node) => node.parent?.validPolicy === ANY_POLICY);
  if (userSet === null) return [...new Set(validPolicyNodeSet.map((node) => node.validPolicy))]; // (ii)
  const deleted = new Set<PolicyNode>();
  for (const node of validPolicyNodeSet) {
    if (node.validPolicy !== ANY_POLICY && !userSet.includes(node.validPolicy)) {
      removeChild(node);
      markSubtree(node, deleted);
    }
  }
  let levels: Tree = tree.map((level) => level.filter((node) => !deleted.has(node)));
  const anyAtLeaf = (levels[n] ?? []).find((node) => node.validPolicy === ANY_POLICY);
  if (anyAtLeaf?.parent) {
    const present = new Set(validPolicyNodeSet.filter((node) => !deleted.has(node)).map((node) => node.validPolicy));
    const parent = anyAtLeaf.parent;
    const leafLevel = (levels[n] ?? []).filter((node) => node !== anyAtLeaf);
    removeChild(anyAtLeaf);
    for (const policy of userSet) {
      if (present.has(policy)) continue;
      const node: PolicyNode = { validPolicy: policy, expected: new Set([policy]), parent, children: [] };
      parent.children.push(node);
      leafLevel.push(node);
    }
    levels = [...levels.slice(0, n), leafLevel];
  }
  const pruned = prune(levels, n);
  if (pruned === null) return null;
  const accepted = pruned
    .flat()
    .filter((node) => node.parent?.validPolicy === ANY_POLICY && node.validPolicy !== ANY_POLICY)
    .map((node) => node.validPolicy);
  return [...new Set(accepted)];
}

/** Deletes, bottom up, every node above depth `depth` that has no children; null when the root goes too. */
function prune(tree: Tree, depth: number): Tree | null {
  const levels = tree.map((level) => [...level]);
  for (let d = depth - 1; d >= 0; d -= 1) {
    const level = levels[d] ?? [];
    const childless = level.filter((node) => node.children.length === 0);
    for (const node of childless) removeChild(node);
    levels[d] = level.filter((node) => node.children.length > 0);
  }
  if ((levels[0] ?? []).length === 0) return null;
  return levels;
}

function removeChild(node: PolicyNode): void {
  const siblings = node.parent?.children;
  if (siblings === undefined) return;
  const index = siblings.indexOf(node);
  if (index >= 0) siblings.splice(index, 1);
}

function markSubtree(node: PolicyNode, into: Set<PolicyNode>): void {
  into.add(node);
  for (const child of node.children) markSubtree(child, into);
}
