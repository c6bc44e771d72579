//! The session-key exchange and SecureString encryption ([MS-PSRP] 3.1.5.4.5, 2.2.2.3,
//! 2.2.2.4, 2.2.5.1.24).
//!
//! The client sends an RSA-2048 public key as a base64 CryptoAPI `PUBLICKEYBLOB` (PUBLIC_KEY);
//! the server answers with a random AES-256 session key encrypted to it (PKCS#1 v1.5) as a base64
//! `SIMPLEBLOB` (ENCRYPTED_SESSION_KEY). SecureStrings are then UTF-16LE text encrypted with
//! AES-256-CBC, a zero IV and PKCS#7 padding.

use aes::Aes256;
use aes::cipher::block_padding::Pkcs7;
use aes::cipher::{BlockModeDecrypt, BlockModeEncrypt, KeyIvInit};
use base64::Engine as _;
use rand::RngCore;
use rsa::traits::PublicKeyParts;
use rsa::{BigUint, Pkcs1v15Encrypt, RsaPrivateKey, RsaPublicKey};
use zeroize::Zeroizing;

use crate::clixml::EncryptedSecureString;

use super::error::CryptoError;

/// The RSA key size Windows PowerShell uses and expects.
pub const RSA_BITS: usize = 2048;

const PUBLICKEYBLOB: u8 = 0x06;
const SIMPLEBLOB: u8 = 0x01;
const CUR_BLOB_VERSION: u8 = 0x02;
const CALG_RSA_KEYX: u32 = 0x0000_A400;
const CALG_AES_256: u32 = 0x0000_6610;
const RSA1_MAGIC: &[u8; 4] = b"RSA1";
const ZERO_IV: [u8; 16] = [0; 16];

type Aes256CbcEnc = cbc::Encryptor<Aes256>;
type Aes256CbcDec = cbc::Decryptor<Aes256>;

fn b64() -> base64::engine::GeneralPurpose {
    base64::engine::general_purpose::STANDARD
}

fn malformed(blob: &'static str, reason: &'static str) -> CryptoError {
    CryptoError::MalformedBlob { blob, reason }
}

/// Checks a BLOBHEADER (bType, bVersion, reserved, aiKeyAlg) and returns what follows it.
fn blob_header<'a>(
    bytes: &'a [u8],
    name: &'static str,
    kind: u8,
    alg: u32,
) -> Result<&'a [u8], CryptoError> {
    let (header, rest) = bytes
        .split_first_chunk::<8>()
        .ok_or_else(|| malformed(name, "shorter than its header"))?;
    if header[0] != kind {
        return Err(malformed(name, "wrong blob type"));
    }
    if header[1] != CUR_BLOB_VERSION {
        return Err(malformed(name, "wrong blob version"));
    }
    let (_, alg_bytes) = header.split_at(4);
    if alg_bytes != alg.to_le_bytes() {
        return Err(malformed(name, "wrong key algorithm"));
    }
    Ok(rest)
}

/// A client's exchange public key, read from a `PUBLICKEYBLOB`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExchangePublicKey(RsaPublicKey);

impl ExchangePublicKey {
    /// Parses the base64 `PUBLICKEYBLOB` of a PUBLIC_KEY message: BLOBHEADER (type 6, version
    /// 2, CALG_RSA_KEYX), RSAPUBKEY (`RSA1`, bit length, exponent, little-endian), then the
    /// modulus, little-endian.
    pub fn from_blob(blob_b64: &str) -> Result<Self, CryptoError> {
        const NAME: &str = "PUBLICKEYBLOB";
        let bytes = b64()
            .decode(blob_b64.trim())
            .map_err(|_| CryptoError::Base64)?;
        let rest = blob_header(&bytes, NAME, PUBLICKEYBLOB, CALG_RSA_KEYX)?;
        let (rsapubkey, modulus) = rest
            .split_first_chunk::<12>()
            .ok_or_else(|| malformed(NAME, "RSAPUBKEY truncated"))?;
        let (magic, rest) = rsapubkey.split_at(4);
        if magic != RSA1_MAGIC {
            return Err(malformed(NAME, "RSAPUBKEY magic is not RSA1"));
        }
        let (bitlen, exponent) = rest.split_at(4);
        let bitlen = u32::from_le_bytes(bitlen.try_into().map_err(|_| malformed(NAME, "bitlen"))?);
        let exponent = u32::from_le_bytes(
            exponent
                .try_into()
                .map_err(|_| malformed(NAME, "exponent"))?,
        );
        if bitlen as usize != RSA_BITS {
            return Err(malformed(NAME, "key is not 2048 bits"));
        }
        if modulus.len() != RSA_BITS / 8 {
            return Err(malformed(
                NAME,
                "modulus length does not match the bit length",
            ));
        }
        let key = RsaPublicKey::new(BigUint::from_bytes_le(modulus), BigUint::from(exponent))?;
        Ok(ExchangePublicKey(key))
    }

    /// The modulus size in bits.
    pub fn bits(&self) -> usize {
        self.0.n().bits()
    }

    /// The base64 `PUBLICKEYBLOB`.
    pub fn to_blob(&self) -> String {
        let mut out = Vec::with_capacity(20 + RSA_BITS / 8);
        out.extend_from_slice(&[PUBLICKEYBLOB, CUR_BLOB_VERSION, 0, 0]);
        out.extend_from_slice(&CALG_RSA_KEYX.to_le_bytes());
        out.extend_from_slice(RSA1_MAGIC);
        out.extend_from_slice(&(RSA_BITS as u32).to_le_bytes());
        let e = self.0.e().to_bytes_le();
        let mut exponent = [0u8; 4];
        for (dst, src) in exponent.iter_mut().zip(e.iter()) {
            *dst = *src;
        }
        out.extend_from_slice(&exponent);
        let mut modulus = self.0.n().to_bytes_le();
        modulus.resize(RSA_BITS / 8, 0);
        out.extend_from_slice(&modulus);
        b64().encode(out)
    }
}

/// The client half of the exchange: an RSA-2048 key pair whose public half goes in
/// PUBLIC_KEY and whose private half opens ENCRYPTED_SESSION_KEY.
pub struct KeyExchange {
    private: RsaPrivateKey,
}

impl std::fmt::Debug for KeyExchange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyExchange")
            .field("bits", &self.private.n().bits())
            .finish_non_exhaustive()
    }
}

impl KeyExchange {
    /// Generates a fresh RSA-2048 key pair.
    pub fn new() -> Result<Self, CryptoError> {
        let private = RsaPrivateKey::new(&mut rand::rngs::OsRng, RSA_BITS)?;
        Ok(KeyExchange { private })
    }

    /// The public key as the base64 `PUBLICKEYBLOB` of a PUBLIC_KEY message.
    pub fn public_key_blob(&self) -> String {
        ExchangePublicKey(self.private.to_public_key()).to_blob()
    }

    /// Opens the base64 `SIMPLEBLOB` of an ENCRYPTED_SESSION_KEY message: BLOBHEADER (type 1,
    /// version 2, CALG_AES_256), the algorithm it was encrypted with (CALG_RSA_KEYX), then the
    /// PKCS#1 v1.5 ciphertext in little-endian byte order.
    pub fn decrypt_session_key(&self, blob_b64: &str) -> Result<SessionKey, CryptoError> {
        const NAME: &str = "SIMPLEBLOB";
        let bytes = b64()
            .decode(blob_b64.trim())
            .map_err(|_| CryptoError::Base64)?;
        let rest = blob_header(&bytes, NAME, SIMPLEBLOB, CALG_AES_256)?;
        let (alg, encrypted) = rest
            .split_first_chunk::<4>()
            .ok_or_else(|| malformed(NAME, "algorithm id truncated"))?;
        if *alg != CALG_RSA_KEYX.to_le_bytes() {
            return Err(malformed(NAME, "key not encrypted with CALG_RSA_KEYX"));
        }
        if encrypted.len() != RSA_BITS / 8 {
            return Err(malformed(NAME, "ciphertext is not 256 bytes"));
        }
        let mut ciphertext = encrypted.to_vec();
        ciphertext.reverse();
        let key = Zeroizing::new(self.private.decrypt(Pkcs1v15Encrypt, &ciphertext)?);
        let key: [u8; 32] = key
            .as_slice()
            .try_into()
            .map_err(|_| CryptoError::SessionKeyLength(key.len()))?;
        Ok(SessionKey(Zeroizing::new(key)))
    }
}

/// The AES-256 session key that encrypts SecureStrings. Wiped from memory when dropped; its
/// `Debug` shows no key bytes.
#[derive(Clone)]
pub struct SessionKey(Zeroizing<[u8; 32]>);

impl std::fmt::Debug for SessionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionKey(..)")
    }
}

impl SessionKey {
    /// A random key (the server side of the exchange).
    pub fn generate() -> Self {
        let mut key = Zeroizing::new([0u8; 32]);
        rand::rngs::OsRng.fill_bytes(key.as_mut());
        SessionKey(key)
    }

    /// A key from its bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        SessionKey(Zeroizing::new(bytes))
    }

    /// The key encrypted to a client's base64 `PUBLICKEYBLOB`, as the base64 `SIMPLEBLOB` of an
    /// ENCRYPTED_SESSION_KEY message.
    pub fn encrypt_for(&self, public_key_blob_b64: &str) -> Result<String, CryptoError> {
        let public = ExchangePublicKey::from_blob(public_key_blob_b64)?;
        let mut ciphertext =
            public
                .0
                .encrypt(&mut rand::rngs::OsRng, Pkcs1v15Encrypt, self.0.as_slice())?;
        ciphertext.reverse();
        let mut out = Vec::with_capacity(12 + ciphertext.len());
        out.extend_from_slice(&[SIMPLEBLOB, CUR_BLOB_VERSION, 0, 0]);
        out.extend_from_slice(&CALG_AES_256.to_le_bytes());
        out.extend_from_slice(&CALG_RSA_KEYX.to_le_bytes());
        out.extend_from_slice(&ciphertext);
        Ok(b64().encode(out))
    }

    /// Encrypts `plaintext` as a SecureString: UTF-16LE, AES-256-CBC, zero IV, PKCS#7.
    pub fn encrypt(&self, plaintext: &str) -> EncryptedSecureString {
        let mut buf: Zeroizing<Vec<u8>> = Zeroizing::new(
            plaintext
                .encode_utf16()
                .flat_map(u16::to_le_bytes)
                .collect(),
        );
        let len = buf.len();
        buf.resize(len + (16 - len % 16), 0);
        let cipher = Aes256CbcEnc::new((&*self.0).into(), &ZERO_IV.into());
        match cipher.encrypt_padded::<Pkcs7>(&mut buf, len) {
            Ok(ct) => EncryptedSecureString(ct.to_vec()),
            // The buffer always has room for a full padding block.
            Err(_) => EncryptedSecureString(Vec::new()),
        }
    }

    /// Decrypts a SecureString. The plaintext is wiped from memory when dropped.
    pub fn decrypt(
        &self,
        secure: &EncryptedSecureString,
    ) -> Result<Zeroizing<String>, CryptoError> {
        if secure.0.is_empty() || !secure.0.len().is_multiple_of(16) {
            return Err(CryptoError::BadCiphertext);
        }
        let mut buf = Zeroizing::new(secure.0.clone());
        let cipher = Aes256CbcDec::new((&*self.0).into(), &ZERO_IV.into());
        let plain = cipher
            .decrypt_padded::<Pkcs7>(&mut buf)
            .map_err(|_| CryptoError::BadCiphertext)?;
        if plain.len() % 2 != 0 {
            return Err(CryptoError::BadPlaintext);
        }
        let units: Zeroizing<Vec<u16>> = Zeroizing::new(
            plain
                .chunks_exact(2)
                .map(|c| u16::from_le_bytes([c[0], c[1]]))
                .collect(),
        );
        let mut out = Zeroizing::new(String::with_capacity(units.len()));
        for c in char::decode_utf16(units.iter().copied()) {
            out.push(c.map_err(|_| CryptoError::BadPlaintext)?);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_server_exchange_round_trips() {
        let client = KeyExchange::new().unwrap();
        let blob = client.public_key_blob();
        let raw = b64().decode(&blob).unwrap();
        assert_eq!(raw.len(), 276);
        assert_eq!(&raw[..8], &[6, 2, 0, 0, 0, 0xA4, 0, 0]);
        assert_eq!(&raw[8..16], b"RSA1\x00\x08\x00\x00");
        assert_eq!(ExchangePublicKey::from_blob(&blob).unwrap().bits(), 2048);

        let server_key = SessionKey::generate();
        let sealed = server_key.encrypt_for(&blob).unwrap();
        let sealed_raw = b64().decode(&sealed).unwrap();
        assert_eq!(sealed_raw.len(), 12 + 256);
        assert_eq!(
            &sealed_raw[..12],
            &[1, 2, 0, 0, 0x10, 0x66, 0, 0, 0, 0xA4, 0, 0]
        );
        let client_key = client.decrypt_session_key(&sealed).unwrap();
        assert_eq!(client_key.0.as_slice(), server_key.0.as_slice());

        // 16 bytes of UTF-16 plus a whole block of padding.
        let secret = client_key.encrypt("P@ssw0rd");
        assert_eq!(secret.0.len(), 32);
        assert_eq!(server_key.decrypt(&secret).unwrap().as_str(), "P@ssw0rd");
        assert_eq!(format!("{client_key:?}"), "SessionKey(..)");
        assert!(format!("{client:?}").contains("2048"));
    }

    #[test]
    fn secure_string_known_vector_and_unicode() {
        // AES-256-CBC of UTF-16LE "päß" with key 00 01 .. 1f and a zero IV, as computed by
        // Python's `cryptography` (OpenSSL).
        let key: [u8; 32] = std::array::from_fn(|i| i as u8);
        let key = SessionKey::from_bytes(key);
        let ct = key.encrypt("päß");
        assert_eq!(
            ct.0,
            [
                0x34, 0xff, 0x25, 0x8f, 0x3d, 0x82, 0xef, 0xab, 0x54, 0x62, 0x6d, 0x60, 0xba, 0x31,
                0xd9, 0x95
            ]
        );
        for text in ["", "a", "päßwörd €", "日本語 𝄞 emoji 🎉", "exactly8"] {
            let ct = key.encrypt(text);
            assert_eq!(ct.0.len() % 16, 0);
            assert!(ct.0.len() > text.encode_utf16().count() * 2);
            assert_eq!(key.decrypt(&ct).unwrap().as_str(), text);
        }
        let other = SessionKey::from_bytes([1; 32]);
        let ct = key.encrypt("some longer secret text");
        assert!(
            other
                .decrypt(&ct)
                .map(|s| s.as_str() != "some longer secret text")
                .unwrap_or(true)
        );
    }

    #[test]
    fn bad_ciphertexts_are_errors() {
        let key = SessionKey::from_bytes([7; 32]);
        assert!(matches!(
            key.decrypt(&EncryptedSecureString(vec![])),
            Err(CryptoError::BadCiphertext)
        ));
        assert!(matches!(
            key.decrypt(&EncryptedSecureString(vec![0; 15])),
            Err(CryptoError::BadCiphertext)
        ));
    }

    #[test]
    fn bad_blobs_are_errors() {
        assert!(matches!(
            ExchangePublicKey::from_blob("not base64!"),
            Err(CryptoError::Base64)
        ));
        assert!(matches!(
            ExchangePublicKey::from_blob(&b64().encode([6, 2, 0])),
            Err(CryptoError::MalformedBlob { .. })
        ));
        let client = KeyExchange::new().unwrap();
        let mut raw = b64().decode(client.public_key_blob()).unwrap();
        raw.truncate(100);
        assert!(matches!(
            ExchangePublicKey::from_blob(&b64().encode(&raw)),
            Err(CryptoError::MalformedBlob {
                reason: "modulus length does not match the bit length",
                ..
            })
        ));
        raw[0] = 7;
        assert!(matches!(
            ExchangePublicKey::from_blob(&b64().encode(&raw)),
            Err(CryptoError::MalformedBlob {
                reason: "wrong blob type",
                ..
            })
        ));
        // A public key blob where a SIMPLEBLOB belongs.
        assert!(matches!(
            client.decrypt_session_key(&client.public_key_blob()),
            Err(CryptoError::MalformedBlob { .. })
        ));
        // A well-formed SIMPLEBLOB for another key does not decrypt.
        let other = KeyExchange::new().unwrap();
        let sealed = SessionKey::generate()
            .encrypt_for(&other.public_key_blob())
            .unwrap();
        assert!(matches!(
            client.decrypt_session_key(&sealed),
            Err(CryptoError::Rsa(_))
        ));
        assert!(matches!(
            client.decrypt_session_key("%%%"),
            Err(CryptoError::Base64)
        ));
    }
}
