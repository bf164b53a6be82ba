/** The mock bridge itself fails on anything the script does not expect. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Kong } from '../../pdk/kong.ts';
import { MockBridge } from './mock-bridge.ts';

void describe('MockBridge', () => {
  void it('fails on a different method', async () => {
    const bridge = new MockBridge([{ method: 'kong.request.get_host', args: [] }]);
    await assert.rejects(new Kong(bridge).request.getScheme());
    assert.throws(() => bridge.assertDone(), /expected a call to kong\.request\.get_host, got kong\.request\.get_scheme/);
  });
  void it('fails on different arguments', async () => {
    const bridge = new MockBridge([{ method: 'kong.request.get_header', args: ['a'] }]);
    await assert.rejects(new Kong(bridge).request.getHeader('b'));
    assert.throws(() => bridge.assertDone(), /expected args \[ 'a' \], got \[ 'b' \]/);
  });
  void it('fails on a call after the script ended', async () => {
    const bridge = new MockBridge([]);
    await assert.rejects(new Kong(bridge).node.getId());
    assert.throws(() => bridge.assertDone(), /the script has ended/);
  });
  void it('fails when steps are left', () => {
    const bridge = new MockBridge([{ method: 'kong.node.get_id', args: [] }]);
    assert.throws(() => bridge.assertDone(), /not made: kong\.node\.get_id/);
  });
  void it('fails when a call is made where an exit was expected', async () => {
    const bridge = new MockBridge([{ method: 'kong.response.set_status', args: [200], exit: true }]);
    await assert.rejects(new Kong(bridge).response.setStatus(200));
    assert.throws(() => bridge.assertDone(), /expected a non-returning exit/);
  });
});
