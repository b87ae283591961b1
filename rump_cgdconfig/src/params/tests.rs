//! Parameters files as NetBSD's cgdconfig writes them (`params_fput`),
//! read back, and the old keywords.

use super::*;

/// What NetBSD's `cgdconfig -g -k storedkey aes-cbc 256` wrote: a long
/// base64 value wraps past column 50, under its first character.
const STORED: &str = "algorithm aes-cbc;
iv-method encblkno1;
keylength 256;
verify_method none;
keygen storedkey key AAABAKWryn5b9e93ERH+/GFT8Cb1Zx \\
                     czEryXaopgDDpww8T0;
";

/// What it wrote for `-g -k storedkey -i encblkno8 -V ffs blowfish-cbc 448`.
const STORED_448: &str = "algorithm blowfish-cbc;
iv-method encblkno8;
keylength 448;
verify_method ffs;
keygen storedkey key AAABwNWADR4POaTOCyOOKJk4mdlJct \\
                     1l2YX2fI0YhKt97m+X9jekIAXQl5J9 \\
                     CDSnauB+NX5MXCRzP1J4;
";

/// And for `-g aes-cbc` (the default generator, PBKDF2 with a salt).
const PBKDF2: &str = "algorithm aes-cbc;
iv-method encblkno1;
keylength 128;
verify_method none;
keygen pkcs5_pbkdf2/sha1 {
        iterations 1475072;
        salt AAAAgALkIypwcJNK2qlJmx6FtVI=;
};
";

#[test]
fn netbsds_files_read_and_write_back_the_same() {
    let (p, warnings) = parse(STORED).unwrap();
    assert!(warnings.is_empty());
    assert_eq!(p.algorithm.as_deref(), Some("aes-cbc"));
    assert_eq!(p.ivmeth.as_deref(), Some("encblkno1"));
    assert_eq!(p.keylen, Some(256));
    assert_eq!(p.verify_method, Verify::None);
    assert_eq!(p.keygens.len(), 1);
    let key = p.keygens[0].key.clone().unwrap();
    assert_eq!(key.len, 256);
    assert_eq!(key.bytes[..4], [0xa5, 0xab, 0xca, 0x7e]);
    assert_eq!(p.to_text().unwrap(), STORED);
    p.verify(&mut |w| panic!("{w}")).unwrap();
    let (p, _) = parse(STORED_448).unwrap();
    assert_eq!(p.keygens[0].key.as_ref().unwrap().len, 448);
    assert_eq!(p.verify_method, Verify::Ffs);
    assert_eq!(p.to_text().unwrap(), STORED_448);
    let (p, _) = parse(PBKDF2).unwrap();
    assert_eq!(p.keygens[0].method, Method::Pkcs5Pbkdf2Sha1);
    assert_eq!(p.keygens[0].iterations, Some(1475072));
    assert_eq!(p.keygens[0].salt.as_ref().unwrap().len, 128);
    assert_eq!(p.to_text().unwrap(), PBKDF2);
}

#[test]
fn pbkdf2_blocks_and_comments() {
    let text = "# made by hand
algorithm blowfish-cbc; keylength 128
keygen pkcs5_pbkdf2/sha1 {
        iterations 39361;
        salt AAAAgALkIypwcJNK2qlJmx6FtVI=;   # a salt
};
keygen randomkey;
verify_method \"ffs\"
";
    let (p, _) = parse(text).unwrap();
    assert_eq!(p.algorithm.as_deref(), Some("blowfish-cbc"));
    assert_eq!(p.keylen, Some(128));
    assert_eq!(p.verify_method, Verify::Ffs);
    assert_eq!(p.keygens.len(), 2);
    assert_eq!(p.keygens[0].method, Method::Pkcs5Pbkdf2Sha1);
    assert_eq!(p.keygens[0].iterations, Some(39361));
    assert_eq!(p.keygens[0].salt.as_ref().unwrap().len, 128);
    assert_eq!(p.keygens[1].method, Method::RandomKey);
    assert_eq!(
        p.to_text().unwrap(),
        "algorithm blowfish-cbc;\nkeylength 128;\nverify_method ffs;\n\
         keygen pkcs5_pbkdf2/sha1 {\n        iterations 39361;\n        salt AAAAgALkIypwcJNK2qlJmx6FtVI=;\n};\n\
         keygen randomkey;\n"
    );
}

#[test]
fn old_keywords_become_generators_in_front() {
    let (p, _) = parse("algorithm aes-cbc;\nkeygen_method pkcs5_pbkdf2;\nkeygen_salt AAAAgKur;\nxor_key AAAAEKur;\n").unwrap();
    assert_eq!(p.keygens.len(), 2);
    assert_eq!(p.keygens[0].method, Method::StoredKey);
    assert_eq!(p.keygens[0].key.as_ref().unwrap().len, 16);
    assert_eq!(p.keygens[1].method, Method::Pkcs5Pbkdf2Old);
    assert_eq!(p.keygens[1].iterations, Some(128));
}

#[test]
fn unknown_names_warn_and_bad_syntax_fails() {
    let (p, w) = parse("algorithm aes-cbc;\nverify_method crc;\nkeygen magic;\n").unwrap();
    assert_eq!(p.verify_method, Verify::Unknown);
    assert_eq!(p.keygens[0].method, Method::Unknown);
    assert_eq!(w.len(), 2);
    let e = parse("algorithm aes-cbc;\nkeylength big;\n").unwrap_err();
    assert_eq!(
        e,
        ParseError {
            line: 2,
            at: "big".into()
        }
    );
    assert!(parse("algorithm;\n").is_err());
    assert!(parse("keygen storedkey {\nkey AAAAgKur;\n").is_err());
    assert!(parse("algorithm \"aes-cbc;\n").is_err());
    assert!(parse("} ;").is_err());
    // A mangled key is a warning, and then a missing key.
    let (p, w) = parse("algorithm aes-cbc;\nkeygen storedkey key ***;\n").unwrap();
    assert_eq!(w.len(), 1);
    assert!(p.verify(&mut |_| {}).is_err());
}

#[test]
fn defaults_and_checks_are_netbsds() {
    let mut p = Params {
        algorithm: Some("3des-cbc".into()),
        ..Params::default()
    };
    p.fill_defaults().unwrap();
    assert_eq!(p.keylen, Some(192));
    assert_eq!(p.ivmeth.as_deref(), Some("encblkno1"));
    assert_eq!(p.verify_method, Verify::None);
    let mut q = Params {
        algorithm: Some("rot13".into()),
        ..Params::default()
    };
    assert!(q.fill_defaults().unwrap_err().contains("rot13"));
    q.keylen = Some(8);
    let mut warned = Vec::new();
    q.verify(&mut |w| warned.push(w)).unwrap();
    assert_eq!(warned.len(), 1);
    let mut no_salt = Keygen::new(Method::Pkcs5Pbkdf2Sha1);
    no_salt.iterations = Some(5);
    p.keygens.push(no_salt);
    assert!(p.verify(&mut |_| {}).unwrap_err().contains("salt"));
}

#[test]
fn a_stored_key_without_its_key_is_not_written() {
    // NetBSD's writes `keygen storedkey ` and no end: a file that does not
    // read back. Found by the cgd_params fuzz target.
    let p = Params {
        algorithm: Some("aes-cbc".into()),
        verify_method: Verify::None,
        keygens: vec![Keygen::new(Method::StoredKey)],
        ..Params::default()
    };
    assert!(p.to_text().is_err());
}
