// ICAM cases whose verdict is wrong today, with the issue #9 defect that causes it. Each is asserted to STILL be
// wrong, so the fix that corrects it fails the suite until its entry is removed here (see pkits-expectations.ts).
const DEFECT_1 = 'defect 1: a CRL whose issuingDistributionPoint names another distribution point is taken as covering the certificate';

export const ICAM_KNOWN_FAILURES: Readonly<Record<string, string>> = {
  'fault 21_ICAM_Invalid_CRL_distributionPoint': DEFECT_1, // was masked by defect 4 until the policy tree came
};
