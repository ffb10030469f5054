// ICAM cases whose verdict is wrong today, with the issue #9 defect that causes it. Each is asserted to STILL be
// wrong, so the fix that corrects it fails the suite until its entry is removed here (see pkits-expectations.ts).
// Note: most fault-bridge faults are refused today for the policy mapping of the ICAM Signing CA (defect 4), not for
// their own fault; the printed table shows the code and message of each refusal.
const DEFECT_4 = 'defect 4: the ICAM signing CAs (and the bridge) carry policyMappings, which refuses the path';

export const ICAM_KNOWN_FAILURES: Readonly<Record<string, string>> = {
  'card 01_Golden_PIV': DEFECT_4,
  'card 02_Golden_PIV-I': DEFECT_4,
  'card 03_SKID_Mismatch': DEFECT_4,
  'card 04_Tampered_CHUID': DEFECT_4,
  'card 06_Tampered_PHOTO': DEFECT_4,
  'card 07_Tampered_Fingerprints': DEFECT_4,
  'card 08_Tampered_Security_Object': DEFECT_4,
  'card 09_Expired_CHUID_Signer': DEFECT_4,
  'card 11_Certs_Expire_after_CHUID': DEFECT_4,
  'card 14_Expired_CHUID': DEFECT_4,
  'card 15_CHUID_FASCN_mismatch': DEFECT_4,
  'card 16_Card_Authentication_FASCN_mismatch': DEFECT_4,
  'card 17_PHOTO_FASCN_mismatch': DEFECT_4,
  'card 18_Fingerprints_FASCN_mismatch': DEFECT_4,
  'card 19_CHUID_UUID_mismatch': DEFECT_4,
  'card 20_Card_Authent_UUID_mismatch': DEFECT_4,
  'card 21_PHOTO_UUID_mismatch': DEFECT_4,
  'card 22_Fingerprints_UUID_mismatch': DEFECT_4,
  'card 39_Golden_FIPS_201-2_Fed_PIV-I': DEFECT_4,
  'card 54_Golden_FIPS_201-2_NFI_PIV-I': DEFECT_4,
  'fault 22_ICAM_Valid_requiredExplicitPolicy': DEFECT_4,
  'fault 24_ICAM_Valid_Generalized_Time': DEFECT_4,
  'fault 35_ICAM_4096_key_size': DEFECT_4,
  'fault 21_ICAM_Invalid_CRL_distributionPoint': DEFECT_4,
};
