/**
 * How sideband's hand-written operators are built, after rxjs's `operate()` (util/lift.ts) and
 * `createOperatorSubscriber` (operators/OperatorSubscriber.ts): the operator's logic runs in handlers that route any
 * throw to the subscriber's error channel. Without this, an exception in a stage's `next` or `complete` handler
 * escapes as an uncaught exception and the pipeline completes with results missing (or never completes).
 */
import { Observable, type Observer, type OperatorFunction, type Subscriber, type TeardownLogic } from 'rxjs';

/** An operator from its logic: `init` subscribes to the source and feeds the subscriber; a throw in it errors. */
export function operate<T, R>(
  init: (source: Observable<T>, subscriber: Subscriber<R>) => TeardownLogic,
): OperatorFunction<T, R> {
  return (source) =>
    new Observable<R>((subscriber) => {
      try {
        return init(source, subscriber);
      } catch (err) {
        subscriber.error(err);
        return undefined;
      }
    });
}

export interface OperatorHandlers<T> {
  next?(value: T): void;
  /** Default: complete the destination. */
  complete?(): void;
  /** Default: pass the error on. */
  error?(err: unknown): void;
}

/**
 * An observer of the source whose handlers cannot throw past the destination: a throw in `next` or `complete`
 * becomes `destination.error(err)`, which also unsubscribes from the source (the Observable's teardown).
 */
export function operatorObserver<T>(destination: Subscriber<unknown>, handlers: OperatorHandlers<T>): Observer<T> {
  const guard = (fn: () => void) => {
    try {
      fn();
    } catch (err) {
      destination.error(err);
    }
  };
  return {
    next: (value) => {
      if (handlers.next) guard(() => handlers.next!(value));
    },
    error: (err) => guard(() => (handlers.error ? handlers.error(err) : destination.error(err))),
    complete: () => guard(() => (handlers.complete ? handlers.complete() : destination.complete())),
  };
}
