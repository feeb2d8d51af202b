// Scopes release native memory deterministically: tidy, keep, using-scopes, nesting, errors.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { torch, TorchError } from '../src/index.js';

const live = () => torch.memory().liveTensors;

describe('scopes', () => {
  it('tidy disposes temporaries and keeps the returned tensors', () => {
    const before = live();
    const out = torch.tidy(() => {
      const a = torch.ones(1000);
      const b = a.mul(2).add(1);
      return { b, list: [a.sum()] };
    });
    assert.equal(live(), before + 2);
    assert.equal(out.b.get(0).item(), 3);
    out.b.dispose();
    out.list[0]!.dispose();
  });
  it('nested tidy hands returned tensors to the outer scope', () => {
    const before = live();
    torch.tidy(() => {
      const inner = torch.tidy(() => torch.ones(3).mul(2));
      assert.equal(inner.isDisposed, false);
      return undefined;
    });
    assert.equal(live(), before);
  });
  it('kept tensors survive; disposed ones throw a helpful error', () => {
    let k = torch.zeros(1);
    let gone = torch.zeros(1);
    torch.tidy(() => {
      k = torch.ones(2).keep();
      gone = torch.ones(2);
    });
    assert.equal(k.isDisposed, false);
    assert.equal(gone.isDisposed, true);
    assert.throws(() => gone.add(1), (e: Error) => e instanceof TorchError && /disposed/.test(e.message));
    assert.equal(String(gone), 'tensor(<disposed>)');
    k.dispose();
    k.dispose(); // twice is harmless
  });
  it('using-scopes free on block exit, and keep() moves a tensor out', () => {
    const before = live();
    let survivor;
    {
      using s = torch.scope();
      torch.ones(10).mul(3);
      survivor = s.keep(torch.ones(2));
      assert.equal(s.size, 2);
    }
    assert.equal(live(), before + 1);
    survivor.dispose();
    assert.equal(live(), before);
  });
  it('tidy disposes everything when the function throws, and rejects async functions', () => {
    const before = live();
    assert.throws(() => torch.tidy(() => { torch.ones(5); throw new Error('x'); }), /x/);
    assert.equal(live(), before);
    assert.throws(() => torch.tidy((async () => torch.ones(1)) as never), /synchronous/);
  });
  it('views share storage and the byte count follows storages, not handles', () => {
    const base = torch.tidy(() => {
      const m0 = torch.memory().cpuBytes;
      const t = torch.zeros(1000, { dtype: 'float32' });
      const v = t.view(10, 100);
      assert.equal(t.sharesStorageWith(v), true);
      assert.equal(torch.memory().cpuBytes - m0, 4000);
      return m0;
    });
    assert.equal(torch.memory().cpuBytes, base);
  });
  it('large scopes, tensors disposed early and many shared storages are all freed once', () => {
    const before = live();
    const bytes = torch.memory().cpuBytes;
    const storages = torch.memory().liveStorages;
    torch.tidy(() => {
      // more handles than the reused dispose buffer first holds (256), and more storages than the
      // storage table's first size, with views sharing them
      const ts = [];
      for (let i = 0; i < 700; i++) ts.push(torch.ones(3).add(i));
      for (const t of ts.slice(0, 300)) { t.view(3, 1); t.get(0); }
      for (const t of ts.slice(650)) t.dispose(); // stale by the end of the scope (and no views hold them)
      assert.equal(torch.memory().liveStorages, storages + 700 + 650); // the ones() and the add() results
    });
    assert.equal(live(), before);
    assert.equal(torch.memory().cpuBytes, bytes);
    assert.equal(torch.memory().liveStorages, storages);
  });
});
