const { bus } = require('./bus');

class NotificationService {
  constructor() {
    this.sent = 0;
  }

  // Subscribe a client to updates about its order. The listener is never removed.
  subscribe(subscription) {
    bus.on('order:update', (update) => {
      if (update.orderId !== subscription.orderId) return;
      this.sent++;
      this.deliver(subscription.callbackUrl, { ...update, customer: subscription.customer.name });
    });
    return { ok: true, orderId: subscription.orderId };
  }

  deliver(url, payload) {
    // would POST to the webhook; keep it cheap here
    return JSON.stringify(payload).length + url.length;
  }
}

module.exports = { NotificationService };
