// Only requests signed by Twilio reach a protected Function.
exports.handler = function (context, event, callback) {
  callback(null, { secret: 'only for Twilio', from: event.From || null });
};
