//! sqlite3 under the hijack: WAL mode's shared-memory index, reads through
//! a mapping, and two processes writing one database.

use super::*;

/// `sqlite3` in WAL mode keeps its shared-memory index in a shared mapping
/// of the `-shm` file.
#[test]
fn sqlite_in_wal_mode_under_the_hijack() {
    let r = Rig::start("hj-sqlite");
    let mut sql =
        String::from("PRAGMA journal_mode=WAL;\nCREATE TABLE t(i INTEGER PRIMARY KEY, v TEXT);\n");
    for batch in 0..100 {
        sql.push_str("BEGIN;\n");
        for i in 0..100 {
            sql.push_str(&format!(
                "INSERT INTO t(v) VALUES('row {}');\n",
                batch * 100 + i
            ));
        }
        sql.push_str("COMMIT;\n");
    }
    sql.push_str("PRAGMA integrity_check;\nSELECT count(*) FROM t;\n");
    std::fs::write(r.dir.join("fill.sql"), sql).unwrap();
    let o = r.rump(&["sh", "-c", "/usr/bin/sqlite3 /rump/db < fill.sql"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o), "wal\nok\n10000\n");
    // Another program finds all of it.
    let o = r.rump(&[
        "/usr/bin/sqlite3",
        "/rump/db",
        "PRAGMA journal_mode; PRAGMA integrity_check; SELECT count(*), sum(i), max(v) FROM t;",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o), "wal\nok\n10000|50005000|row 9999\n");
    // Two connections in one process share the index; a reader in a
    // child process sees what was committed.
    let prog = r#"
import sqlite3, subprocess, sys
w = sqlite3.connect('/rump/db')
rd = sqlite3.connect('/rump/db')
for i in range(500):
    w.execute('INSERT INTO t(v) VALUES (?)', ('py %d' % i,))
    w.commit()
    if i % 100 == 0:
        print(rd.execute('SELECT count(*) FROM t').fetchone()[0])
child = "import sqlite3; print(sqlite3.connect('/rump/db').execute('SELECT count(*) FROM t').fetchone()[0])"
print(subprocess.run([sys.executable, '-c', child], capture_output=True, text=True).stdout, end='')
print(w.execute('PRAGMA integrity_check').fetchone()[0])
"#;
    assert_eq!(
        python(&r, prog, &[]),
        "10001\n10101\n10201\n10301\n10401\n10500\nok\n"
    );
    // Two processes at once, each with the index mapped: each sees the
    // other's commits (the mappings agree at every lock), as on the host.
    let out = r.same(&["/usr/bin/python3", "-c", SQLITE_TWO_PROCESSES, "/rump"]);
    assert_eq!(out, "0 1 done 2 3 done 4 5 done 6 ok\n");
    // With mmap_size, sqlite reads the database through a mapping and
    // writes it with pwrite: the mapping must show those writes.
    for mode in ["wal", "delete"] {
        let out = r.same(&["/usr/bin/python3", "-c", SQLITE_MMAP, "/rump", mode]);
        assert!(out.ends_with("(4000, 215800) ('ok',)\n"), "{out}");
    }
}

/// sqlite reading its database through a mapping (`PRAGMA mmap_size`).
const SQLITE_MMAP: &str = r#"
import sqlite3, sys
db = sys.argv[1] + '/mapped-' + sys.argv[2] + '.db'
c = sqlite3.connect(db)
c.execute('PRAGMA mmap_size=268435456')
print(c.execute('PRAGMA journal_mode=%s' % sys.argv[2]).fetchone())
c.execute('CREATE TABLE t(i INTEGER PRIMARY KEY, v TEXT)')
for b in range(20):
    for i in range(200):
        c.execute('INSERT INTO t(v) VALUES (?)', ('x' * 50 + str(i),))
    c.commit()
    if b % 5 == 4 and sys.argv[2] == 'wal':
        c.execute('PRAGMA wal_checkpoint(TRUNCATE)')
    c.execute('UPDATE t SET v = v || ? WHERE i % 7 = ?', ('u', b % 7))
    c.commit()
print(c.execute('SELECT count(*), sum(length(v)) FROM t').fetchone())
c.close()
c = sqlite3.connect(db)
c.execute('PRAGMA mmap_size=268435456')
print(c.execute('SELECT count(*), sum(length(v)) FROM t').fetchone(),
      c.execute('PRAGMA integrity_check').fetchone())
"#;

/// A parent and a child process write one WAL database in turns.
const SQLITE_TWO_PROCESSES: &str = r#"
import sqlite3, subprocess, sys
db = sys.argv[1] + '/two.db'
w = sqlite3.connect(db, isolation_level=None)
w.execute('PRAGMA journal_mode=WAL')
w.execute('CREATE TABLE t(i INTEGER PRIMARY KEY, who TEXT)')
child = '''
import sqlite3, sys
c = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=10)
for line in sys.stdin:
    if line.startswith('count'):
        print(c.execute('SELECT count(*) FROM t').fetchone()[0], flush=True)
    else:
        c.execute("INSERT INTO t(who) VALUES ('child')")
        print('done', flush=True)
'''
p = subprocess.Popen([sys.executable, '-c', child, db], stdin=subprocess.PIPE,
                     stdout=subprocess.PIPE, text=True)
def ask(cmd):
    p.stdin.write(cmd + '\n')
    p.stdin.flush()
    return p.stdout.readline().strip()
out = [ask('count')]
for n in range(3):
    w.execute("INSERT INTO t(who) VALUES ('parent')")
    out += [ask('count'), ask('insert'), str(w.execute('SELECT count(*) FROM t').fetchone()[0])]
p.stdin.close()
p.wait()
print(' '.join(out), w.execute('PRAGMA integrity_check').fetchone()[0])
"#;
