import { describe, expect, expectTypeOf, it } from 'vitest';
import { TypedEmitter } from './typed-emitter.ts';

interface Events {
  'model:changed': { id: string };
  'log:added': { message: string };
}

describe('TypedEmitter', () => {
  it('calls the listeners of an event in order until they unsubscribe, and only those', () => {
    const emitter = new TypedEmitter<Events>();
    const heard: string[] = [];
    const off = emitter.on('model:changed', ({ id }) => heard.push(`a:${id}`));
    emitter.on('model:changed', ({ id }) => heard.push(`b:${id}`));
    emitter.on('log:added', ({ message }) => heard.push(`log:${message}`));
    emitter.emit('model:changed', { id: 'm1' });
    off();
    emitter.emit('model:changed', { id: 'm2' });
    expect(heard).toEqual(['a:m1', 'b:m1', 'b:m2']);
  });

  it('still calls the other listeners when one throws, and reports the error outside the emitter', async () => {
    const emitter = new TypedEmitter<Events>();
    const heard: string[] = [];
    const reported: unknown[] = [];
    const onError = (error: unknown): void => void reported.push(error);
    process.on('uncaughtException', onError);
    try {
      emitter.on('log:added', () => {
        throw new Error('listener bug');
      });
      emitter.on('log:added', ({ message }) => heard.push(message));
      emitter.emit('log:added', { message: 'x' });
      await new Promise((resolve) => setTimeout(resolve, 0));
    } finally {
      process.off('uncaughtException', onError);
    }
    expect(heard).toEqual(['x']);
    expect(reported).toEqual([new Error('listener bug')]);
  });

  it('types each payload from the event map', () => {
    const emitter = new TypedEmitter<Events>();
    emitter.on('log:added', (payload) => expectTypeOf(payload).toEqualTypeOf<{ message: string }>());
    // @ts-expect-error: the payload of model:changed has an id
    emitter.emit('model:changed', { message: 'x' });
  });
});
