// Where Debian 12 puts the two PKCS#11 modules the Linux driver uses (packages libtpm2-pkcs11-1 and softhsm2).
export const TPM2_PKCS11_MODULE = '/usr/lib/x86_64-linux-gnu/pkcs11/libtpm2_pkcs11.so';
export const SOFTHSM2_MODULE = '/usr/lib/softhsm/libsofthsm2.so';
