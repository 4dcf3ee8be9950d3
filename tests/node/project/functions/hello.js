exports.handler = function (context, event, callback) {
  const twiml = new Twilio.twiml.VoiceResponse();
  twiml.say(`Hello from ${context.GREETING_NAME}`);
  callback(null, twiml);
};
