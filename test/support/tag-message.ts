// The `misp_json_tag` payload MISP publishes when a tag is attached to an attribute (pubsub.md §4.6):
// the tag row plus attribute_id and event_id, no uuid.

export function tagAttached(name: string, attributeId: number, eventId: number): object {
  return {
    Tag: {
      id: "1501", name, colour: "#cc0033", exportable: true, org_id: "0", user_id: "0", hide_tag: false, numerical_value: null,
      is_galaxy: false, is_custom_galaxy: false, local_only: false, attribute_id: String(attributeId), event_id: String(eventId),
    },
    action: "attached to attribute",
  };
}
